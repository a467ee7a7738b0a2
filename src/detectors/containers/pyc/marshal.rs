//! CPython's marshal format, as `Python/marshal.c` writes it (format
//! version 4 and earlier): a type byte (its bit 0x80, `FLAG_REF`, adds the
//! object to a table later `r` references index), then the object. Only
//! the shape is kept: where each string's bytes are, tuples, and code
//! objects' fields; numbers and other objects are skipped, not stored.
//! Bounded: every read is checked, nesting is capped, and an object count
//! can never exceed the input's length.

/// Nesting deeper than this is not a module CPython wrote.
const MAX_DEPTH: usize = 256;

/// Where a code object's fields are (see [`Layout`]).
#[derive(Debug, Default, Clone)]
pub(super) struct Code {
    /// The bytecode (a bytes object).
    pub code: Option<usize>,
    pub consts: Option<usize>,
    pub names: Option<usize>,
    /// `co_varnames` (before 3.11) or `co_localsplusnames`.
    pub locals: Option<usize>,
    pub filename: Option<usize>,
    /// `co_qualname` (3.11 on), else `co_name`.
    pub name: Option<usize>,
}

/// A parsed object, by index in [`Parsed::objects`].
#[derive(Debug, Clone, Copy)]
pub(super) enum Obj {
    /// A `str` (`text`) or `bytes` object's bytes in the file.
    Str { off: usize, len: usize, text: bool },
    /// A tuple, list, set or frozenset: its items are
    /// `Parsed::items[start..start + len]`.
    Seq { start: usize, len: usize },
    /// `Parsed::codes[i]`.
    Code(usize),
    /// Anything else (numbers, `None`, dicts…), or an object still being
    /// read when a reference names it: all are object 0.
    Other,
}

/// The object every number, `None` and the like is.
const OTHER: usize = 0;

/// The code object layouts: the fixed 32-bit fields before `co_code`,
/// and the objects after it in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Layout {
    /// 3.0 to 3.7: argcount, kwonlyargcount, nlocals, stacksize, flags;
    /// consts, names, varnames, freevars, cellvars, filename, name,
    /// firstlineno (int), lnotab.
    Py30,
    /// 3.8 to 3.10: posonlyargcount added.
    Py38,
    /// 3.11 on: argcount, posonlyargcount, kwonlyargcount, stacksize,
    /// flags; consts, names, localsplusnames, localspluskinds, filename,
    /// name, qualname, firstlineno (int), linetable, exceptiontable.
    Py311,
}

pub(super) struct Parsed {
    pub objects: Vec<Obj>,
    /// The items of every sequence, each sequence's together.
    pub items: Vec<usize>,
    pub codes: Vec<Code>,
    pub root: usize,
}

impl Parsed {
    /// A sequence's items (none for other objects).
    pub fn seq(&self, id: usize) -> &[usize] {
        match self.objects[id] {
            Obj::Seq { start, len } => &self.items[start..start + len],
            _ => &[],
        }
    }
}

struct Parser<'a> {
    data: &'a [u8],
    pos: usize,
    layout: Layout,
    objects: Vec<Obj>,
    items: Vec<usize>,
    /// Items of the sequences being read, innermost last.
    pending: Vec<usize>,
    codes: Vec<Code>,
    /// `FLAG_REF` table: indices into `objects` (`None` while the object
    /// is being read).
    refs: Vec<Option<usize>>,
    depth: usize,
}

/// Parses the object at `at`; `None` if it is not well formed.
pub(super) fn parse(data: &[u8], at: usize, layout: Layout) -> Option<Parsed> {
    let mut p = Parser {
        data,
        pos: at,
        layout,
        objects: vec![Obj::Other],
        items: Vec::new(),
        pending: Vec::new(),
        codes: Vec::new(),
        refs: Vec::new(),
        depth: 0,
    };
    let root = p.object()?;
    Some(Parsed {
        objects: p.objects,
        items: p.items,
        codes: p.codes,
        root,
    })
}

impl Parser<'_> {
    fn take(&mut self, n: usize) -> Option<usize> {
        let at = self.pos;
        let end = at.checked_add(n)?;
        if end > self.data.len() {
            return None;
        }
        self.pos = end;
        Some(at)
    }

    fn u8(&mut self) -> Option<u8> {
        let at = self.take(1)?;
        Some(self.data[at])
    }

    fn u32(&mut self) -> Option<usize> {
        let at = self.take(4)?;
        let b: [u8; 4] = self.data[at..at + 4].try_into().ok()?;
        usize::try_from(u32::from_le_bytes(b)).ok()
    }

    fn add(&mut self, o: Obj) -> usize {
        self.objects.push(o);
        self.objects.len() - 1
    }

    /// `n` items; a count larger than what is left cannot be real.
    fn seq(&mut self, n: usize) -> Option<Obj> {
        if n > self.data.len() - self.pos {
            return None;
        }
        let mark = self.pending.len();
        for _ in 0..n {
            let item = self.object()?;
            self.pending.push(item);
        }
        let start = self.items.len();
        self.items.extend(self.pending.drain(mark..));
        Some(Obj::Seq { start, len: n })
    }

    fn string(&mut self, len: usize, text: bool) -> Option<Obj> {
        let off = self.take(len)?;
        Some(Obj::Str { off, len, text })
    }

    fn object(&mut self) -> Option<usize> {
        if self.depth >= MAX_DEPTH {
            return None;
        }
        self.depth += 1;
        let got = self.object_inner();
        self.depth -= 1;
        got
    }

    fn object_inner(&mut self) -> Option<usize> {
        let code = self.u8()?;
        let t = code & 0x7f;
        // A referenced object takes its table slot before its contents
        // are read (marshal.c reserves it for containers).
        let slot = (code & 0x80 != 0).then(|| {
            self.refs.push(None);
            self.refs.len() - 1
        });
        let obj = match t {
            b'0' | b'N' | b'F' | b'T' | b'S' | b'.' => Obj::Other,
            b'i' => {
                self.take(4)?;
                Obj::Other
            }
            b'I' | b'g' => {
                self.take(8)?;
                Obj::Other
            }
            b'y' => {
                self.take(16)?;
                Obj::Other
            }
            b'f' => {
                let n = usize::from(self.u8()?);
                self.take(n)?;
                Obj::Other
            }
            b'x' => {
                for _ in 0..2 {
                    let n = usize::from(self.u8()?);
                    self.take(n)?;
                }
                Obj::Other
            }
            b'l' => {
                let n = self.u32()? as u32 as i32;
                self.take((n.unsigned_abs() as usize).checked_mul(2)?)?;
                Obj::Other
            }
            b's' => {
                let n = self.u32()?;
                self.string(n, false)?
            }
            b't' | b'u' | b'a' | b'A' => {
                let n = self.u32()?;
                self.string(n, true)?
            }
            b'z' | b'Z' => {
                let n = usize::from(self.u8()?);
                self.string(n, true)?
            }
            b'r' => {
                let i = self.u32()?;
                return Some(self.refs.get(i)?.unwrap_or(OTHER));
            }
            b'(' | b'[' | b'<' | b'>' => {
                let n = self.u32()?;
                self.seq(n)?
            }
            b')' => {
                let n = usize::from(self.u8()?);
                self.seq(n)?
            }
            b'{' => {
                // Key, value pairs up to a NULL ('0') key.
                loop {
                    if *self.data.get(self.pos)? == b'0' {
                        self.pos += 1;
                        break;
                    }
                    self.object()?;
                    self.object()?;
                }
                Obj::Other
            }
            // 3.14's slice: start, stop, step.
            b':' => {
                for _ in 0..3 {
                    self.object()?;
                }
                Obj::Other
            }
            b'c' => {
                let code = self.code()?;
                self.codes.push(code);
                Obj::Code(self.codes.len() - 1)
            }
            _ => return None,
        };
        let id = match obj {
            Obj::Other => OTHER,
            _ => self.add(obj),
        };
        if let Some(s) = slot {
            self.refs[s] = Some(id);
        }
        Some(id)
    }

    fn code(&mut self) -> Option<Code> {
        let ints = match self.layout {
            Layout::Py30 | Layout::Py311 => 5,
            Layout::Py38 => 6,
        };
        self.take(4 * ints)?;
        let mut c = Code {
            code: Some(self.object()?),
            consts: Some(self.object()?),
            names: Some(self.object()?),
            locals: Some(self.object()?),
            ..Code::default()
        };
        match self.layout {
            Layout::Py30 | Layout::Py38 => {
                self.object()?; // freevars
                self.object()?; // cellvars
                c.filename = Some(self.object()?);
                c.name = Some(self.object()?);
                self.take(4)?; // firstlineno
                self.object()?; // lnotab
            }
            Layout::Py311 => {
                self.object()?; // localspluskinds
                c.filename = Some(self.object()?);
                self.object()?; // name
                c.name = Some(self.object()?); // qualname
                self.take(4)?; // firstlineno
                self.object()?; // linetable
                self.object()?; // exceptiontable
            }
        }
        Some(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_tuples_and_references_are_read() {
        // ('ab', <ref 0>) where 'ab' is a referenced short ASCII string.
        let data = b"\x29\x02\xfa\x02ab\x72\x00\x00\x00\x00";
        let p = parse(data, 0, Layout::Py311).unwrap();
        let items = p.seq(p.root);
        assert_eq!(items.len(), 2);
        assert_eq!(items[0], items[1]);
        assert!(matches!(
            p.objects[items[0]],
            Obj::Str {
                off: 4,
                len: 2,
                text: true
            }
        ));
    }

    #[test]
    fn bad_input_fails_without_panicking() {
        let deep: Vec<u8> = [b')', 1].repeat(600);
        for data in [
            &b"\x28\xff\xff\xff\xff"[..], // a huge tuple
            b"\x72\x05\x00\x00\x00",      // a reference to nothing
            b"\x7a\x09ab",                // a string cut short
            b"\x3f",                      // an unknown type
            &deep,                        // nesting past the cap
        ] {
            assert!(parse(data, 0, Layout::Py311).is_none());
        }
    }
}
