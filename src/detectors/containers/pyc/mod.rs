//! CPython compiled modules (`.pyc`): a header (PEP 3147; PEP 552 since
//! 3.7: magic number, flags, then the source's time and size or its
//! hash) and the module's code object in marshal format (`marshal`).
//!
//! The view holds each code object's strings: its file and name, its
//! names on one line (`binance.client; Client; client`), then
//! its constants as the bytecode uses them, where CPython 3.7 to 3.12's
//! bytecode says so (`dis` documents the instructions):
//! - a constant stored to a name (`LOAD_CONST`, then `STORE_NAME`,
//!   `STORE_GLOBAL`, `STORE_FAST`, `STORE_DEREF`, or `STORE_ATTR` after
//!   the object is loaded) as `NAME = 'value'`;
//! - constants passed by keyword or built into a dict with constant keys
//!   (the values, then a tuple of names: `KW_NAMES`, `CALL_FUNCTION_KW`,
//!   `BUILD_CONST_KEY_MAP`) as `api_key = 'k', api_secret = 's'`;
//! - constants loaded one after another (a call's arguments) as
//!   `('k', 's')`, as `Client("k", "s")` has them;
//! - any other string constant alone on its line, quoted.
//!
//! Other versions (their opcodes differ) get each constant on its own
//! line. Names and values are the file's bytes; only quotes, `=` and
//! separators are the view's.

mod marshal;

use super::TextView;
use marshal::{Layout, Obj, Parsed};

/// The header's length and the code object layout for a `.pyc`'s magic
/// number (`Lib/importlib/_bootstrap_external.py` lists them: 3210 added
/// the source size, 3392 the PEP 552 flags, 3410 `co_posonlyargcount`,
/// 3450 the 3.11 code object).
fn format(data: &[u8]) -> Option<(u16, usize, Layout)> {
    if data.len() < 16 || &data[2..4] != b"\r\n" {
        return None;
    }
    let magic = u16::from_le_bytes([data[0], data[1]]);
    if !(3000..4000).contains(&magic) {
        return None;
    }
    let header = match magic {
        ..3210 => 8,
        3210..3392 => 12,
        _ => 16,
    };
    let layout = match magic {
        ..3410 => Layout::Py30,
        3410..3450 => Layout::Py38,
        _ => Layout::Py311,
    };
    Some((magic, header, layout))
}

/// Whether `data` starts like a CPython 3 `.pyc`.
pub(super) fn is_pyc(data: &[u8]) -> bool {
    format(data).is_some()
}

/// What an instruction is to the view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Other,
    ExtendedArg,
    /// An inline cache entry (3.11 on): no instruction.
    Cache,
    LoadConst,
    /// `KW_NAMES`: the keyword names of the next call, a constant tuple.
    KwNames,
    /// `STORE_NAME`, `STORE_GLOBAL`: the name is in `co_names`.
    StoreName,
    /// `STORE_FAST` (and `STORE_DEREF` from 3.11): in the locals.
    StoreLocal,
    StoreAttr,
    /// A load of the object a `STORE_ATTR` stores into.
    LoadObject,
}

/// Each opcode's meaning to the view, where opcodes are stable: 3.7 to
/// 3.10, and 3.11 to 3.12 (inline `CACHE` entries, `KW_NAMES`,
/// `co_localsplusnames`); `dis.opmap` of each version gives the numbers.
type Ops = [Op; 256];

fn ops(magic: u16) -> Option<Ops> {
    let mut t = [Op::Other; 256];
    let (load_object, store_local): (&[u8], &[u8]) = match magic {
        3390..3450 => (&[124, 101, 116, 136], &[125]),
        3450..3550 => {
            t[0] = Op::Cache;
            t[172] = Op::KwNames;
            (&[124, 101, 116, 137, 127], &[125, 138])
        }
        _ => return None,
    };
    for &o in load_object {
        t[usize::from(o)] = Op::LoadObject;
    }
    for &o in store_local {
        t[usize::from(o)] = Op::StoreLocal;
    }
    t[usize::from(LOAD_CONST)] = Op::LoadConst;
    t[90] = Op::StoreName;
    t[97] = Op::StoreName;
    t[95] = Op::StoreAttr;
    t[144] = Op::ExtendedArg;
    Some(t)
}

/// The opcode of `LOAD_CONST` in 3.7 to 3.12.
const LOAD_CONST: u8 = 100;

/// The offset of the next `LOAD_CONST` instruction at or after `at` (an
/// even offset: instructions are two bytes).
fn next_load_const(code: &[u8], mut at: usize) -> Option<usize> {
    while let Some(i) = memchr::memchr(LOAD_CONST, &code[at..]) {
        let i = at + i;
        if i.is_multiple_of(2) {
            return (i + 1 < code.len()).then_some(i);
        }
        at = i + 1;
    }
    None
}

/// The high bits that the `EXTENDED_ARG`s just before `at` give the
/// instruction at `at`.
fn extended_arg(ops: &Ops, code: &[u8], at: usize) -> usize {
    let mut ext = 0;
    let mut shift = 8;
    let mut i = at;
    while i >= 2 && ops[usize::from(code[i - 2])] == Op::ExtendedArg && shift <= 24 {
        ext |= usize::from(code[i - 1]) << shift;
        shift += 8;
        i -= 2;
    }
    ext >> 8
}

/// The text view of a `.pyc`, or `None` when its code object cannot be
/// read (then it is scanned as bytes).
pub(super) fn view(data: &[u8]) -> Option<TextView> {
    let (magic, header, layout) = format(data)?;
    let parsed = marshal::parse(data, header, layout)?;
    if !matches!(parsed.objects[parsed.root], Obj::Code(_)) {
        return None;
    }
    let mut r = Render {
        data,
        parsed: &parsed,
        ops: ops(magic),
        view: TextView::for_file(data.len()),
        shown: vec![false; parsed.objects.len()],
        text_memo: vec![0; parsed.objects.len()],
    };
    let mut queue = std::collections::VecDeque::from([parsed.root]);
    while let Some(code) = queue.pop_front() {
        if r.view.full() {
            return None;
        }
        r.code(code, &mut queue);
    }
    let view = r.view;
    (!view.full()).then_some(view)
}

struct Render<'a> {
    data: &'a [u8],
    parsed: &'a Parsed,
    ops: Option<Ops>,
    view: TextView,
    /// Objects already in the view.
    shown: Vec<bool>,
    /// [`Render::has_text`]'s answers: 0 not known yet, 1 no, 2 yes.
    text_memo: Vec<u8>,
}

/// Tuples nested deeper than this in a constant are not shown.
const MAX_NESTING: usize = 4;

impl<'a> Render<'a> {
    fn obj(&self, id: usize) -> Obj {
        self.parsed.objects[id]
    }

    fn items(&self, id: Option<usize>) -> &'a [usize] {
        let parsed: &'a Parsed = self.parsed;
        id.map_or(&[], |i| parsed.seq(i))
    }

    /// A string's bytes, when `id` is a `str`, or a `bytes` that reads
    /// as text.
    fn text(&self, id: usize) -> Option<(usize, &'a [u8])> {
        let data: &'a [u8] = self.data;
        match self.obj(id) {
            Obj::Str { off, len, text } => {
                let b = &data[off..off + len];
                let printable = || {
                    b.iter()
                        .all(|&c| c >= 0x20 || matches!(c, b'\t' | b'\n' | b'\r'))
                };
                (text || printable()).then_some((off, b))
            }
            _ => None,
        }
    }

    /// Adds a string as it is in the file.
    fn push_str(&mut self, id: usize) {
        if let Some((off, b)) = self.text(id) {
            self.view.push_file(off, b);
        }
    }

    /// Whether a constant has text to show: a string, or a tuple holding
    /// one. Remembered per object, so that tuples sharing tuples (by
    /// reference) are looked at once.
    fn has_text(&mut self, id: usize) -> bool {
        match self.text_memo[id] {
            1 => return false,
            2 => return true,
            _ => {}
        }
        let got = match self.obj(id) {
            Obj::Str { .. } => self.text(id).is_some_and(|(_, b)| !b.is_empty()),
            Obj::Seq { .. } => self.items(Some(id)).iter().any(|&i| self.has_text(i)),
            _ => false,
        };
        self.text_memo[id] = 1 + u8::from(got);
        got
    }

    /// A constant as Python writes it: `'text'`, `('a', 'b')`.
    fn push_const(&mut self, id: usize, depth: usize) {
        self.shown[id] = true;
        match self.obj(id) {
            Obj::Str { .. } => {
                self.view.push_text(b"'");
                self.push_str(id);
                self.view.push_text(b"'");
            }
            Obj::Seq { .. } => {
                let items = self.items(Some(id));
                self.push_items(items, depth + 1, true);
            }
            _ => {}
        }
    }

    /// The constants among `items` that have text, separated by `, `, in
    /// parentheses when `tuple` or when there are several. Whether any was
    /// (or parentheses were) added.
    fn push_items(&mut self, items: &[usize], depth: usize, tuple: bool) -> bool {
        if self.view.full() || depth > MAX_NESTING {
            return false;
        }
        let count = items.iter().filter(|&&i| self.has_text(i)).count();
        if count == 0 && !tuple {
            return false;
        }
        let parens = tuple || count > 1;
        if parens {
            self.view.push_text(b"(");
        }
        let mut first = true;
        for &i in items {
            if !self.has_text(i) {
                continue;
            }
            if !first {
                self.view.push_text(b", ");
            }
            first = false;
            self.push_const(i, depth);
        }
        if parens {
            self.view.push_text(b")");
        }
        true
    }

    /// Renders one code object and queues those among its constants.
    fn code(&mut self, id: usize, queue: &mut std::collections::VecDeque<usize>) {
        let Obj::Code(code) = self.obj(id) else {
            return;
        };
        let code = self.parsed.codes[code].clone();
        // Where it is (the file, once; the qualified name), and the names
        // it uses.
        let file = code.filename.filter(|&f| !self.shown[f]);
        for part in [file, code.name].into_iter().flatten() {
            self.shown[part] = true;
            self.view.push_text(b"\n# ");
            self.push_str(part);
        }
        self.view.push_text(b"\n");
        self.name_line(code.names);
        let consts = self.items(code.consts);
        if let (Some(ops), Some(bytecode)) = (self.ops, code.code)
            && let Obj::Str { off, len, .. } = self.obj(bytecode)
        {
            let names = self.items(code.names);
            let locals = self.items(code.locals);
            let bytes = &self.data[off..off + len];
            self.bytecode(&ops, bytes, consts, names, locals);
        }
        for &c in consts {
            match self.obj(c) {
                Obj::Code(_) => queue.push_back(c),
                _ if !self.shown[c] && self.has_text(c) => {
                    self.push_const(c, 0);
                    self.view.push_text(b"\n");
                }
                _ => {}
            }
        }
        self.name_line(code.locals);
    }

    /// A tuple of names on one line, once, separated by `; `: no rule
    /// reads `name; other` as a name and its value (a space would be read
    /// so).
    fn name_line(&mut self, tuple: Option<usize>) {
        let Some(t) = tuple.filter(|&t| !self.shown[t]) else {
            return;
        };
        self.shown[t] = true;
        let items = self.items(Some(t));
        for (k, &i) in items.iter().enumerate() {
            if k > 0 {
                self.view.push_text(b"; ");
            }
            self.push_str(i);
        }
        self.view.push_text(b"\n");
    }

    /// Reads the bytecode for constants stored to names, passed by
    /// keyword, or loaded in a row (see the module docs).
    fn bytecode(
        &mut self,
        ops: &Ops,
        code: &[u8],
        consts: &[usize],
        names: &[usize],
        locals: &[usize],
    ) {
        let mut run: Vec<usize> = Vec::new();
        let mut loaded = false;
        let mut ext = 0usize;
        let mut at = 0;
        while at + 1 < code.len() {
            if run.is_empty() && !loaded {
                // Nothing is pending: only a `LOAD_CONST` starts something,
                // so skip to the next one (with its `EXTENDED_ARG`s).
                let Some(next) = next_load_const(code, at) else {
                    break;
                };
                at = next;
                ext = extended_arg(ops, code, at);
            }
            let ins = &code[at..at + 2];
            at += 2;
            let (op, arg) = (ops[usize::from(ins[0])], (ext << 8) | usize::from(ins[1]));
            ext = 0;
            let name = match op {
                Op::Other if run.is_empty() => continue,
                Op::Cache => continue,
                Op::ExtendedArg => {
                    ext = arg;
                    continue;
                }
                Op::StoreName => names.get(arg),
                Op::StoreAttr if loaded => names.get(arg),
                Op::StoreLocal => locals.get(arg),
                Op::LoadConst | Op::KwNames => {
                    let Some(&c) = consts.get(arg) else {
                        self.flush(&mut run);
                        continue;
                    };
                    if loaded {
                        self.flush(&mut run);
                        loaded = false;
                    }
                    if !self.keywords(c, &mut run) && op == Op::LoadConst {
                        run.push(c);
                    }
                    continue;
                }
                Op::LoadObject if !run.is_empty() && !loaded => {
                    loaded = true;
                    continue;
                }
                _ => None,
            };
            if let Some(&name) = name
                && let Some(value) = run.pop()
            {
                self.flush(&mut run);
                if self.has_text(value) {
                    self.push_str(name);
                    self.view.push_text(b" = ");
                    self.push_const(value, 0);
                    self.view.push_text(b"\n");
                }
            }
            self.flush(&mut run);
            loaded = false;
        }
        self.flush(&mut run);
    }

    /// When `tuple` is a tuple of `k` names and `run` ends with `k` values
    /// (keyword arguments, a dict with constant keys): renders them as
    /// `name = 'value', …` after what precedes them, and empties `run`.
    fn keywords(&mut self, tuple: usize, run: &mut Vec<usize>) -> bool {
        if !matches!(self.obj(tuple), Obj::Seq { .. }) {
            return false;
        }
        let keys = self.items(Some(tuple));
        let is_name = |r: &Self, k: usize| matches!(r.obj(k), Obj::Str { text: true, .. });
        if keys.is_empty() || keys.len() > run.len() || !keys.iter().all(|&k| is_name(self, k)) {
            return false;
        }
        let values = run.split_off(run.len() - keys.len());
        self.flush(run);
        let mut first = true;
        for (&k, &v) in keys.iter().zip(&values) {
            if !self.has_text(v) {
                continue;
            }
            if !first {
                self.view.push_text(b", ");
            }
            first = false;
            self.push_str(k);
            self.view.push_text(b" = ");
            self.push_const(v, 0);
        }
        if !first {
            self.view.push_text(b"\n");
        }
        self.shown[tuple] = true;
        true
    }

    /// Constants loaded in a row: one alone, several as `('a', 'b')`.
    fn flush(&mut self, run: &mut Vec<usize>) {
        if run.is_empty() {
            return;
        }
        if self.push_items(run, 0, false) {
            self.view.push_text(b"\n");
        }
        run.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_consts_are_found_at_instruction_offsets_with_their_extended_args() {
        let table = ops(3495).unwrap();
        // NOP 100 (an argument, not an instruction), EXTENDED_ARG 1,
        // EXTENDED_ARG 2, LOAD_CONST 3.
        let code = [9, 100, 144, 1, 144, 2, 100, 3];
        assert_eq!(next_load_const(&code, 0), Some(6));
        assert_eq!(extended_arg(&table, &code, 6), 0x102);
        assert_eq!(next_load_const(&code, 7), None);
        assert!(ops(3571).is_none(), "3.13 renumbered its opcodes");
    }

    /// Tuples of 250 references to a tuple of 250 references … to 250
    /// strings: 4 KiB that would show 250⁴ strings.
    fn shared_tuples(leaf: &[u8]) -> Vec<u8> {
        fn nested(d: &mut Vec<u8>, level: u32, refs: &mut u32, leaf: &[u8]) {
            d.extend_from_slice(&[b')' | 0x80, 250]);
            *refs += 1;
            if level == 0 {
                for _ in 0..250 {
                    d.extend_from_slice(leaf);
                }
                return;
            }
            let child = *refs;
            nested(d, level - 1, refs, leaf);
            for _ in 1..250 {
                d.push(b'r');
                d.extend_from_slice(&child.to_le_bytes());
            }
        }
        let mut d = vec![0xa7, 0x0d, b'\r', b'\n'];
        d.extend_from_slice(&[0; 12]);
        d.push(b'c' | 0x80);
        d.extend_from_slice(&[0; 20]);
        d.extend_from_slice(b"s\x02\0\0\0\x64\0"); // LOAD_CONST 0
        d.extend_from_slice(&[b')', 1]);
        nested(&mut d, 3, &mut 1, leaf);
        d.extend_from_slice(b")\0)\0s\0\0\0\0z\x01fz\x01nz\x01q\x01\0\0\0");
        d.extend_from_slice(b"s\0\0\0\0s\0\0\0\0");
        d
    }

    #[test]
    fn shared_tuples_cost_their_size_not_their_expansion() {
        // Empty strings: each tuple is looked at once.
        let v = view(&shared_tuples(b"z\0")).expect("read");
        assert!(v.text().len() < 100);
        // Text: the view reaches its cap and the file is scanned as bytes.
        assert!(view(&shared_tuples(b"z\x01a")).is_none());
    }

    #[test]
    fn the_header_gives_the_code_object_layout() {
        let pyc = |magic: u16| {
            let mut d = magic.to_le_bytes().to_vec();
            d.extend_from_slice(b"\r\n");
            d.extend_from_slice(&[0; 12]);
            d
        };
        assert_eq!(
            format(&pyc(3495)).map(|f| (f.1, f.2)),
            Some((16, Layout::Py311))
        );
        assert_eq!(
            format(&pyc(3425)).map(|f| (f.1, f.2)),
            Some((16, Layout::Py38))
        );
        assert_eq!(
            format(&pyc(3379)).map(|f| (f.1, f.2)),
            Some((12, Layout::Py30))
        );
        assert_eq!(format(&pyc(62211)), None, "Python 2 is read as bytes");
        assert!(!is_pyc(b"\x00\x01\r\n"));
    }
}
