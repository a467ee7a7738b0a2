//! CPython compiled modules (`.pyc`): a header (PEP 3147; PEP 552 since
//! 3.7: magic number, flags, then the source's time and size or its
//! hash) and the module's code object in marshal format (`marshal`).
//!
//! The view holds each code object's strings: its names on one line, then
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

/// The opcodes the view reads, where they are stable: 3.7 to 3.10, and
/// 3.11 to 3.12 (inline `CACHE` entries, `KW_NAMES`, `co_localsplusnames`).
#[derive(Clone, Copy)]
struct Ops {
    load_const: u8,
    /// `STORE_NAME`, `STORE_GLOBAL`: the name is in `co_names`.
    store_name: [u8; 2],
    /// `STORE_FAST` (and `STORE_DEREF` from 3.11): in the locals.
    store_local: [u8; 2],
    store_attr: u8,
    /// Loads of the object a `STORE_ATTR` stores into.
    load_object: [u8; 5],
    kw_names: Option<u8>,
    extended_arg: u8,
    cache: Option<u8>,
}

fn ops(magic: u16) -> Option<Ops> {
    match magic {
        3390..3450 => Some(Ops {
            load_const: 100,
            store_name: [90, 97],
            store_local: [125, 125],
            store_attr: 95,
            load_object: [124, 101, 116, 136, 124],
            kw_names: None,
            extended_arg: 144,
            cache: None,
        }),
        3450..3550 => Some(Ops {
            load_const: 100,
            store_name: [90, 97],
            store_local: [125, 138],
            store_attr: 95,
            load_object: [124, 101, 116, 137, 127],
            kw_names: Some(172),
            extended_arg: 144,
            cache: Some(0),
        }),
        _ => None,
    }
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
}

impl<'a> Render<'a> {
    fn obj(&self, id: usize) -> &Obj {
        &self.parsed.objects[id]
    }

    fn items(&self, id: Option<usize>) -> &[usize] {
        match id.map(|i| self.obj(i)) {
            Some(Obj::Seq(items)) => items,
            _ => &[],
        }
    }

    /// A string's bytes, when `id` is a `str`, or a `bytes` that reads
    /// as text.
    fn text(&self, id: usize) -> Option<(usize, &'a [u8])> {
        let data: &'a [u8] = self.data;
        match *self.obj(id) {
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
    /// one.
    fn has_text(&self, id: usize, depth: usize) -> bool {
        match self.obj(id) {
            Obj::Str { .. } => self.text(id).is_some_and(|(_, b)| !b.is_empty()),
            Obj::Seq(items) if depth < 4 => items.iter().any(|&i| self.has_text(i, depth + 1)),
            _ => false,
        }
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
            Obj::Seq(items) => {
                let items: Vec<usize> = items
                    .iter()
                    .copied()
                    .filter(|&i| self.has_text(i, depth + 1))
                    .collect();
                self.view.push_text(b"(");
                for (k, i) in items.into_iter().enumerate() {
                    if k > 0 {
                        self.view.push_text(b", ");
                    }
                    self.push_const(i, depth + 1);
                }
                self.view.push_text(b")");
            }
            _ => {}
        }
    }

    /// Renders one code object and queues those among its constants.
    fn code(&mut self, id: usize, queue: &mut std::collections::VecDeque<usize>) {
        let Obj::Code(code) = self.obj(id) else {
            return;
        };
        let code = (**code).clone();
        // Where it is (file and qualified name), and the names it uses.
        self.view.push_text(b"\n# ");
        for (k, part) in [code.filename, code.name].into_iter().flatten().enumerate() {
            if k > 0 {
                self.view.push_text(b" ");
            }
            self.push_str(part);
        }
        self.view.push_text(b"\n");
        self.name_line(code.names);
        let consts = self.items(code.consts).to_vec();
        if let (Some(ops), Some(bytecode)) = (self.ops, code.code)
            && let Obj::Str { off, len, .. } = *self.obj(bytecode)
        {
            let names = self.items(code.names).to_vec();
            let locals = self.items(code.locals).to_vec();
            let bytes = &self.data[off..off + len];
            self.bytecode(&ops, bytes, &consts, &names, &locals);
        }
        for &c in &consts {
            match self.obj(c) {
                Obj::Code(_) => queue.push_back(c),
                _ if !self.shown[c] && self.has_text(c, 0) => {
                    self.push_const(c, 0);
                    self.view.push_text(b"\n");
                }
                _ => {}
            }
        }
        self.name_line(code.locals);
    }

    /// A tuple of names on one line, separated by spaces, once.
    fn name_line(&mut self, tuple: Option<usize>) {
        let Some(t) = tuple.filter(|&t| !self.shown[t]) else {
            return;
        };
        self.shown[t] = true;
        let items = self.items(Some(t)).to_vec();
        for (k, i) in items.into_iter().enumerate() {
            if k > 0 {
                self.view.push_text(b" ");
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
        for ins in code.chunks_exact(2) {
            let (op, arg) = (ins[0], ext << 8 | usize::from(ins[1]));
            ext = 0;
            if op == ops.extended_arg {
                ext = arg;
                continue;
            }
            if Some(op) == ops.cache {
                continue;
            }
            let name = if ops.store_name.contains(&op) || (op == ops.store_attr && loaded) {
                names.get(arg)
            } else if ops.store_local.contains(&op) {
                locals.get(arg)
            } else {
                None
            };
            if let Some(&name) = name {
                if let Some(value) = run.pop() {
                    self.flush(&mut run);
                    if self.has_text(value, 0) {
                        self.push_str(name);
                        self.view.push_text(b" = ");
                        self.push_const(value, 0);
                        self.view.push_text(b"\n");
                    }
                }
                loaded = false;
                continue;
            }
            if op == ops.load_const || Some(op) == ops.kw_names {
                let Some(&c) = consts.get(arg) else {
                    self.flush(&mut run);
                    continue;
                };
                if loaded {
                    self.flush(&mut run);
                    loaded = false;
                }
                if !self.keywords(c, &mut run) && op == ops.load_const {
                    run.push(c);
                }
                continue;
            }
            if ops.load_object.contains(&op) && !run.is_empty() && !loaded {
                loaded = true;
                continue;
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
        let Obj::Seq(keys) = self.obj(tuple) else {
            return false;
        };
        let keys = keys.clone();
        let is_name = |r: &Self, k: usize| matches!(r.obj(k), Obj::Str { text: true, .. });
        if keys.is_empty() || keys.len() > run.len() || !keys.iter().all(|&k| is_name(self, k)) {
            return false;
        }
        let values = run.split_off(run.len() - keys.len());
        self.flush(run);
        let mut first = true;
        for (&k, &v) in keys.iter().zip(&values) {
            if !self.has_text(v, 0) {
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
        let shown: Vec<usize> = run.drain(..).filter(|&c| self.has_text(c, 0)).collect();
        match shown.len() {
            0 => return,
            1 => self.push_const(shown[0], 0),
            _ => {
                self.view.push_text(b"(");
                for (k, c) in shown.into_iter().enumerate() {
                    if k > 0 {
                        self.view.push_text(b", ");
                    }
                    self.push_const(c, 0);
                }
                self.view.push_text(b")");
            }
        }
        self.view.push_text(b"\n");
    }
}
