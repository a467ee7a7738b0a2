//! Solana keypairs (the `id.json` that `solana-keygen` writes, or its
//! base58): 64 bytes, an Ed25519 seed and then its public key. The pair is
//! checked with `ring` (RFC 8032 key derivation), so a match is a keypair,
//! not 64 random numbers.

use memchr::memchr_iter;

/// True when `bytes` is 32 bytes of seed followed by their public key.
pub fn is_keypair(bytes: &[u8]) -> bool {
    bytes.len() == 64
        && ring::signature::Ed25519KeyPair::from_seed_and_public_key(&bytes[..32], &bytes[32..])
            .is_ok()
}

/// Parses `[n, n, …]` (64 numbers from 0 to 255, whitespace anywhere)
/// starting at `data[0] == b'['`. Returns the bytes and the length of the
/// text taken.
pub fn parse_array(data: &[u8]) -> Option<(Vec<u8>, usize)> {
    if data.first() != Some(&b'[') {
        return None;
    }
    let mut out = Vec::with_capacity(64);
    let mut i = 1;
    let skip = |i: &mut usize| {
        while *i < data.len() && data[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    loop {
        skip(&mut i);
        let from = i;
        let mut n: u32 = 0;
        while i < data.len() && data[i].is_ascii_digit() && i - from < 3 {
            n = n * 10 + u32::from(data[i] - b'0');
            i += 1;
        }
        if i == from || n > 255 || out.len() == 64 {
            return None;
        }
        out.push(n as u8);
        skip(&mut i);
        match data.get(i) {
            Some(b',') => i += 1,
            Some(b']') => return (out.len() == 64).then_some((out, i + 1)),
            _ => return None,
        }
    }
}

/// Offsets of every `[` that opens an array of 64 byte values.
pub fn find_arrays(data: &[u8], out: &mut Vec<usize>) {
    for at in memchr_iter(b'[', data) {
        let next = data[at + 1..].iter().find(|b| !b.is_ascii_whitespace());
        if next.is_some_and(u8::is_ascii_digit) && parse_array(&data[at..]).is_some() {
            out.push(at);
        }
    }
}

/// The keypair in `s`: a JSON array or base58 of 64 bytes.
pub fn keypair(s: &[u8]) -> Option<Vec<u8>> {
    let bytes = if s.first() == Some(&b'[') {
        parse_array(s).filter(|&(_, n)| n == s.len())?.0
    } else {
        bs58::decode(s).into_vec().ok()?
    };
    is_keypair(&bytes).then_some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::KeyPair;

    fn pair(seed: u8) -> Vec<u8> {
        let seed = [seed; 32];
        let kp = ring::signature::Ed25519KeyPair::from_seed_unchecked(&seed).unwrap();
        [&seed[..], kp.public_key().as_ref()].concat()
    }

    #[test]
    fn arrays_and_base58_of_a_keypair() {
        let p = pair(4);
        let json = format!("{:?}", p).replace(' ', "");
        assert_eq!(keypair(json.as_bytes()), Some(p.clone()));
        let pretty = format!(
            "[\n  {}\n]",
            p.iter()
                .map(u8::to_string)
                .collect::<Vec<_>>()
                .join(",\n  ")
        );
        assert_eq!(keypair(pretty.as_bytes()), Some(p.clone()));
        let b58 = bs58::encode(&p).into_string();
        assert_eq!(keypair(b58.as_bytes()), Some(p.clone()));
        let mut wrong = p.clone();
        wrong[40] ^= 1;
        assert_eq!(keypair(bs58::encode(&wrong).into_string().as_bytes()), None);
        let mut found = Vec::new();
        find_arrays(
            format!("x[0] = 1\nkey = {json}\n[1, 2]").as_bytes(),
            &mut found,
        );
        assert_eq!(found, vec![15]);
    }
}
