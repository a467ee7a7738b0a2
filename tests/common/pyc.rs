//! A tiny writer of CPython 3.11 `.pyc` files for tests, so that none is
//! committed and no test needs Python: the PEP 552 header, then the
//! module's code object in marshal format (`Python/marshal.c`), with
//! bytecode as CPython 3.11 compiles the statements below (`dis` shows
//! the same instructions for the same source).

/// A marshal object.
pub enum M {
    None,
    Int(i32),
    /// A short ASCII string, interned (`Z`) as CPython writes identifiers.
    Str(String),
    Bytes(Vec<u8>),
    Tuple(Vec<M>),
}

fn put(out: &mut Vec<u8>, m: &M) {
    match m {
        M::None => out.push(b'N'),
        M::Int(i) => {
            out.push(b'i' | 0x80);
            out.extend_from_slice(&i.to_le_bytes());
        }
        M::Str(s) if s.len() < 256 => {
            out.push(b'Z' | 0x80);
            out.push(s.len() as u8);
            out.extend_from_slice(s.as_bytes());
        }
        M::Str(s) => {
            out.push(b'a' | 0x80);
            out.extend_from_slice(&(s.len() as u32).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        M::Bytes(b) => {
            out.push(b's' | 0x80);
            out.extend_from_slice(&(b.len() as u32).to_le_bytes());
            out.extend_from_slice(b);
        }
        M::Tuple(items) => {
            out.push(b')' | 0x80);
            out.push(items.len() as u8);
            for i in items {
                put(out, i);
            }
        }
    }
}

/// CPython 3.11 opcodes (`dis.opmap`).
const RESUME: u8 = 151;
const LOAD_CONST: u8 = 100;
const STORE_NAME: u8 = 90;
const IMPORT_NAME: u8 = 108;
const IMPORT_FROM: u8 = 109;
const POP_TOP: u8 = 1;
const PUSH_NULL: u8 = 2;
const LOAD_NAME: u8 = 101;
const PRECALL: u8 = 166;
const CALL: u8 = 171;
const RETURN_VALUE: u8 = 83;

/// A module's statements.
pub enum Stmt {
    /// `from MODULE import NAME`
    Import(&'static str, &'static str),
    /// `NAME = "VALUE"`
    Assign(String, String),
    /// `TARGET = CALLEE("A", "B")`
    Call(String, String, String, String),
}

/// The `.pyc` of a module made of `stmts`.
pub fn module(stmts: &[Stmt]) -> Vec<u8> {
    let mut consts: Vec<M> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut code: Vec<u8> = vec![RESUME, 0];
    let name = |names: &mut Vec<String>, n: &str| -> u8 {
        match names.iter().position(|x| x == n) {
            Some(i) => i as u8,
            None => {
                names.push(n.to_string());
                (names.len() - 1) as u8
            }
        }
    };
    let konst = |consts: &mut Vec<M>, m: M| -> u8 {
        consts.push(m);
        (consts.len() - 1) as u8
    };
    for s in stmts {
        match s {
            Stmt::Import(module, item) => {
                let zero = konst(&mut consts, M::Int(0));
                let from = konst(&mut consts, M::Tuple(vec![M::Str(item.to_string())]));
                let m = name(&mut names, module);
                let i = name(&mut names, item);
                code.extend([LOAD_CONST, zero, LOAD_CONST, from, IMPORT_NAME, m]);
                code.extend([IMPORT_FROM, i, STORE_NAME, i, POP_TOP, 0]);
            }
            Stmt::Assign(target, value) => {
                let c = konst(&mut consts, M::Str(value.clone()));
                let n = name(&mut names, target);
                code.extend([LOAD_CONST, c, STORE_NAME, n]);
            }
            Stmt::Call(target, callee, a, b) => {
                let f = name(&mut names, callee);
                let ca = konst(&mut consts, M::Str(a.clone()));
                let cb = konst(&mut consts, M::Str(b.clone()));
                let t = name(&mut names, target);
                code.extend([PUSH_NULL, 0, LOAD_NAME, f, LOAD_CONST, ca, LOAD_CONST, cb]);
                code.extend([PRECALL, 2, 0, 0, CALL, 2, 0, 0, 0, 0, 0, 0, 0, 0]);
                code.extend([STORE_NAME, t]);
            }
        }
    }
    let none = konst(&mut consts, M::None);
    code.extend([LOAD_CONST, none, RETURN_VALUE, 0]);

    let mut out = Vec::new();
    // PEP 552 header: 3.11's magic number (3495), flags, mtime, size.
    out.extend_from_slice(&3495u16.to_le_bytes());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&[0; 12]);
    // The code object: argcount, posonlyargcount, kwonlyargcount,
    // stacksize, flags; code, consts, names, localsplusnames,
    // localspluskinds, filename, name, qualname, firstlineno, linetable,
    // exceptiontable.
    out.push(b'c' | 0x80);
    for v in [0u32, 0, 0, 4, 0] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    put(&mut out, &M::Bytes(code));
    put(&mut out, &M::Tuple(consts));
    put(&mut out, &M::Tuple(names.into_iter().map(M::Str).collect()));
    put(&mut out, &M::Tuple(Vec::new()));
    put(&mut out, &M::Bytes(Vec::new()));
    put(&mut out, &M::Str("bot.py".into()));
    put(&mut out, &M::Str("<module>".into()));
    put(&mut out, &M::Str("<module>".into()));
    out.extend_from_slice(&1u32.to_le_bytes());
    put(&mut out, &M::Bytes(Vec::new()));
    put(&mut out, &M::Bytes(Vec::new()));
    out
}
