//! Format checks of a secret that a regex cannot express (`validate` in a
//! rule): what a credential file encodes is decoded and checked to be what
//! the format says it is.
//!
//! - `base64-user-password`: Docker's `config.json` and `.dockercfg`
//!   `auth`, npm's `_auth`: the base64 (RFC 4648 §4) of `user:password`, as
//!   in HTTP Basic authentication (RFC 7617 §2). Both parts must be
//!   printable, non-empty, and the password no placeholder.
//! - `base64-text`: FileZilla's `<Pass encoding="base64">`, npm's
//!   `_password`: the base64 of a printable password that is no placeholder.
//! - `cipher-blocks`: DBeaver's `credentials-config.json`, AES-128-CBC
//!   output after a 16-byte IV: whole 16-byte blocks that are not text.

use super::checks::base64_decode;
use crate::rules::spec::Validate;

/// Passwords that documentation writes where a real one goes, beyond the
/// pack's placeholder words (`password`, `changeme`, `<…>`, `${…}`).
const SAMPLE_PASSWORDS: &[&str] = &["pass", "passwd", "pwd", "pw", "test", "foo", "bar", "x"];

/// True when `secret` is what `check` says it must be. `placeholder` tells
/// a decoded password the rule pack treats as a placeholder.
pub fn valid(check: Validate, secret: &[u8], placeholder: impl Fn(&[u8]) -> bool) -> bool {
    let password_ok = |p: &[u8]| {
        printable(p)
            && !placeholder(p)
            && !SAMPLE_PASSWORDS
                .iter()
                .any(|s| s.as_bytes().eq_ignore_ascii_case(p))
            && !p.iter().all(|&b| b == p[0])
    };
    match check {
        Validate::Base64UserPassword => base64_decode(secret).is_some_and(|plain| {
            let Some(colon) = plain.iter().position(|&b| b == b':') else {
                return false;
            };
            let (user, password) = (&plain[..colon], &plain[colon + 1..]);
            printable(user) && password_ok(password)
        }),
        Validate::Base64Text => base64_decode(secret).is_some_and(|p| password_ok(&p)),
        Validate::CipherBlocks => {
            secret.len() >= 32
                && secret.len().is_multiple_of(16)
                && secret
                    .iter()
                    .any(|&b| b >= 0x80 || (b < 0x20 && !b"\t\r\n".contains(&b)))
        } // Wallet kinds are checked where they are found
        // (`detectors::wallet::validate`).
        _ => true,
    }
}

impl Validate {
    /// Whether the secret is binary (a cipher text): the checks meant for
    /// text values (placeholder words, runs, entropy) do not apply to it.
    pub fn is_binary(self) -> bool {
        matches!(self, Validate::CipherBlocks)
    }
}

/// Non-empty printable ASCII or UTF-8 text without control characters.
fn printable(s: &[u8]) -> bool {
    !s.is_empty() && std::str::from_utf8(s).is_ok_and(|t| t.chars().all(|c| !c.is_control()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::examples::base64_encode;

    fn no_placeholder(_: &[u8]) -> bool {
        false
    }

    #[test]
    fn user_password_base64_must_decode_to_a_pair() {
        let ok = base64_encode(b"deploy:Vq8-rT2mZ");
        assert!(valid(
            Validate::Base64UserPassword,
            ok.as_bytes(),
            no_placeholder
        ));
        for bad in [
            &b"deploy"[..],
            b"deploy:",
            b":",
            b"deploy:pass",
            b"a:\x01\x02\x03",
        ] {
            let enc = base64_encode(bad);
            assert!(
                !valid(Validate::Base64UserPassword, enc.as_bytes(), no_placeholder),
                "{bad:?}"
            );
        }
        assert!(!valid(
            Validate::Base64UserPassword,
            b"not base64!",
            no_placeholder
        ));
        let hidden = |p: &[u8]| p == b"Vq8-rT2mZ";
        assert!(!valid(Validate::Base64UserPassword, ok.as_bytes(), hidden));
    }

    #[test]
    fn cipher_blocks_are_whole_blocks_of_binary() {
        let mut blob = vec![0x41u8; 48];
        assert!(!valid(Validate::CipherBlocks, &blob, no_placeholder));
        blob[3] = 0x9c;
        assert!(valid(Validate::CipherBlocks, &blob, no_placeholder));
        assert!(!valid(Validate::CipherBlocks, &blob[..40], no_placeholder));
        assert!(!valid(Validate::CipherBlocks, &blob[..16], no_placeholder));
    }
}
