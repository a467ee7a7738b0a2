//! Issue 10: crypto-wallet secrets validated by their checksums. Every
//! wallet secret here is made at run time (`{{bip39:12}}`, `{{wif}}`… from
//! the library's own generator, valid checksums included); the only
//! literals are the published test vectors that must stay quiet.

mod common;

use common::*;
use keyhound::rules::examples::expand;

/// Expands `template` with a generator seeded by `seed`.
fn make(template: &str, seed: u64) -> String {
    expand(template, &mut Fake::new(seed))
}

/// `(line, rule_id, secret)` of each finding, secrets shown.
fn found(files: &[(&str, &str)]) -> Vec<(u64, String, String)> {
    let dir = tree(files);
    let (_, doc) = scan_json(dir.path(), &[".", "--show-secrets"]);
    findings(&doc)
        .iter()
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["rule_id"].as_str().unwrap().to_string(),
                f["secret"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn words(phrase: &str) -> Vec<&str> {
    phrase.split(' ').collect()
}

#[test]
fn issue10_bip39_phrase_is_found_in_every_idiom() {
    for (i, n) in [12usize, 15, 18, 21, 24].into_iter().enumerate() {
        let phrase = make(&format!("{{{{bip39:{n}}}}}"), i as u64);
        let w = words(&phrase);
        let quoted_list = w.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>();
        let cases: Vec<(&str, String, u64)> = vec![
            ("bot.py", format!("import os\nMNEMONIC = \"{phrase}\"\n"), 2),
            (
                "wallet.py",
                format!("seed_phrase = [\n    {}\n]\n", quoted_list.join(",\n    ")),
                2,
            ),
            (
                "wallet.js",
                format!("const secretPhrase = [{}];\n", quoted_list.join(", ")),
                1,
            ),
            ("seed.txt", format!("{}\n", w.join("\n")), 1),
            (
                "config.yaml",
                format!(
                    "wallet:\n  recovery:\n{}",
                    w.iter().map(|w| format!("    - {w}\n")).collect::<String>()
                ),
                3,
            ),
            (
                "BACKUP.md",
                w.iter()
                    .enumerate()
                    .map(|(i, w)| format!("{}. {w}\n", i + 1))
                    .collect(),
                1,
            ),
            (".env", format!("PASSPHRASE='{phrase}'\n"), 1),
            ("notes.txt", format!("my wallet\n\n{phrase}\n"), 3),
        ];
        for (file, text, line) in cases {
            let got = found(&[(file, &text)]);
            assert_eq!(got.len(), 1, "{n} words in {file}:\n{text}\n{got:?}");
            let (l, rule, secret) = &got[0];
            assert_eq!(
                (*l, rule.as_str()),
                (line, "bip39-mnemonic"),
                "{file}:\n{text}"
            );
            // The finding is the phrase, first word to last.
            assert!(
                secret.starts_with(w[0]) && secret.ends_with(w[n - 1]),
                "{secret}"
            );
        }
    }
}

#[test]
fn issue10_bip39_checksum_failures_prose_and_word_lists_stay_quiet() {
    let bad = make("{{bip39-bad:12}}", 3);
    let list = bip39::Language::English.word_list();
    // A word list in order, as projects vendor it.
    let wordlist = list.join("\n");
    // Twelve list words in a row that are no phrase: each of 16 random
    // picks fails its checksum with probability 15/16, so take a failing one.
    let random12 = (0..64u64)
        .map(|s| {
            let mut f = Fake::new(100 + s);
            (0..12)
                .map(|_| list[f.bytes(2).iter().fold(0usize, |a, &b| a * 256 + b as usize) % 2048])
                .collect::<Vec<_>>()
                .join(" ")
        })
        .find(|p| bip39::Mnemonic::parse_in_normalized(bip39::Language::English, p).is_err())
        .unwrap();
    let prose = "Keep your recovery phrase offline: write the words on paper, store it in a safe \
                 place, and never type it into a website. Anyone who has the phrase can move \
                 all funds out of the wallet at any time.";
    // Beside them, a real phrase: the rule is on, and only it is found.
    let good = make("{{bip39:12}}", 4);
    let got = found(&[
        ("bad.py", &format!("mnemonic = \"{bad}\"\n")),
        ("random.txt", &format!("seed words: {random12}\n")),
        ("english.txt", &wordlist),
        ("README.md", prose),
        ("wallet.py", &format!("mnemonic = \"{good}\"\n")),
    ]);
    assert_eq!(got, vec![(1, "bip39-mnemonic".to_string(), good)]);
}

#[test]
fn issue10_bip39_published_test_vectors_stay_quiet() {
    // BIP-39's own vectors (entropy of one repeated byte) and Hardhat's phrase.
    let mut texts = Vec::new();
    for byte in [0u8, 0x7f, 0x80, 0xff] {
        for len in [16, 24, 32] {
            let m = bip39::Mnemonic::from_entropy(&vec![byte; len]).unwrap();
            texts.push(format!("mnemonic = \"{m}\"\n"));
            let list: Vec<String> = m.words().map(|w| format!("'{w}'")).collect();
            texts.push(format!("words = [{}]\n", list.join(", ")));
        }
    }
    texts.push(format!("MNEMONIC=\"{}junk\"\n", "test ".repeat(11)));
    // Last, a real phrase: the rule is on, and only it is found.
    let good = make("{{bip39:24}}", 5);
    texts.push(format!("mnemonic = \"{good}\"\n"));
    let files: Vec<(String, String)> = texts
        .into_iter()
        .enumerate()
        .map(|(i, t)| (format!("test_{i}.py"), t))
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let got = found(&refs);
    assert_eq!(got, vec![(1, "bip39-mnemonic".to_string(), good)]);
}

#[test]
fn issue10_wif_keys_are_found_and_checksum_failures_are_not() {
    let k1 = make("{{wif}}", 1);
    let k2 = make("{{wif-testnet}}", 2);
    let k3 = make("{{wif-uncompressed}}", 3);
    let bad = make("{{wif-bad}}", 4);
    let got = found(&[
        (
            "sign.py",
            &format!("from bit import Key\nkey = Key('{k1}')\n"),
        ),
        (
            "test.js",
            &format!("const pair = ECPair.fromWIF(\"{k2}\", testnet);\n"),
        ),
        ("keys.txt", &format!("{k3}\n")),
        ("other.py", &format!("WIF = \"{bad}\"\n")),
    ]);
    let mut got = got;
    got.sort_by(|a, b| a.2.cmp(&b.2));
    let mut want = vec![
        (2, "bitcoin-wif-private-key".to_string(), k1),
        (1, "bitcoin-wif-private-key".to_string(), k2),
        (1, "bitcoin-wif-private-key".to_string(), k3),
    ];
    want.sort_by(|a, b| a.2.cmp(&b.2));
    assert_eq!(got, want);
}

#[test]
fn issue10_bip32_extended_private_keys_are_found_and_public_ones_are_not() {
    let xprv = make("{{xprv}}", 5);
    let zprv = make("{{zprv}}", 6);
    let xpub = make("{{xpub}}", 7);
    let got = found(&[
        (
            "wallet.py",
            &format!("XPRV = \"{xprv}\"\nXPUB = \"{xpub}\"\n"),
        ),
        (
            "electrum.json",
            &format!("{{\"keystore\": {{\"xprv\": \"{zprv}\"}}}}\n"),
        ),
    ]);
    let rules: Vec<_> = got.iter().map(|(l, r, _)| (*l, r.as_str())).collect();
    assert_eq!(
        rules,
        vec![
            (1, "bip32-extended-private-key"),
            (1, "bip32-extended-private-key")
        ]
    );
    assert!(got.iter().all(|(_, _, s)| *s != xpub));
    // BIP-32's test vector 1 master key is public.
    let vector = "xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBxrMPHi";
    assert!(found(&[("bip32_test.py", &format!("m = \"{vector}\"\n"))]).is_empty());
}

#[test]
fn issue10_xrpl_family_seeds_are_found_and_the_genesis_seed_is_not() {
    let s1 = make("{{xrpl-seed}}", 8);
    let s2 = make("{{xrpl-seed-ed25519}}", 9);
    let got = found(&[
        ("bot.py", &format!("wallet = Wallet.from_seed(\"{s1}\")\n")),
        (
            "config.json",
            &format!("{{\n  \"account\": {{\n    \"secret\": \"{s2}\"\n  }}\n}}\n"),
        ),
        (
            "genesis.js",
            "const master = Wallet.fromSeed('snoPBrXtMeMyMHUVTgbuqAfg1SUTb')\n",
        ),
    ]);
    let mut secrets: Vec<_> = got
        .iter()
        .map(|(_, r, s)| (r.as_str(), s.as_str()))
        .collect();
    secrets.sort();
    let mut want = vec![
        ("xrpl-family-seed", s1.as_str()),
        ("xrpl-family-seed", s2.as_str()),
    ];
    want.sort();
    assert_eq!(secrets, want);
}

#[test]
fn issue10_solana_keypairs_are_found_as_id_json_and_base58() {
    let json = make("{{solana-json}}", 10);
    let pretty = format!(
        "[\n  {}\n]\n",
        json.trim_matches(|c| c == '[' || c == ']')
            .replace(',', ",\n  ")
    );
    let b58 = make("{{solana-b58}}", 11);
    let noise = make("{{solana-bad}}", 12);
    let got = found(&[
        ("id.json", &json),
        ("keypair.json", &pretty),
        (".env", &format!("SOLANA_PRIVATE_KEY={b58}\n")),
        ("weights.json", &noise),
    ]);
    let mut rules: Vec<_> = got.iter().map(|(l, r, _)| (*l, r.as_str())).collect();
    rules.sort();
    assert_eq!(
        rules,
        vec![
            (1, "solana-keypair"),
            (1, "solana-keypair"),
            (1, "solana-keypair")
        ]
    );
}

#[test]
fn issue10_f3_self_secret_64_hex_is_a_wallet_key() {
    let key = make("{{hex:64}}", 13);
    let text = format!(
        "class TestConnector(unittest.TestCase):\n    def setUp(self):\n        self._secret = \"{key}\"\n"
    );
    let got = found(&[("test_connector.py", &text)]);
    assert_eq!(got, vec![(3, "crypto-wallet-private-key".to_string(), key)]);
}

#[test]
fn issue10_evm_test_accounts_stay_quiet_in_any_spelling() {
    // Hardhat/Anvil account #0 and the web3.js docs account, with and
    // without 0x, in upper case: published, listed once.
    let text = "PRIVATE_KEY=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80\n\
                private_key: AC0974BEC39A17E36BA4A6B4D238FF944BACB478CBED5EFCAE784D7BF4F2FF80\n\
                self._secret = \"0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318\"\n";
    assert!(found(&[("hardhat.config.py", text)]).is_empty());
}

#[test]
fn issue10_wallet_rules_explain_that_funds_must_move() {
    for id in [
        "bip39-mnemonic",
        "bitcoin-wif-private-key",
        "bip32-extended-private-key",
        "xrpl-family-seed",
        "solana-keypair",
    ] {
        let o = run(std::path::Path::new("."), &["explain", id]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let text = stdout(&o);
        assert!(text.contains("[critical]"), "{text}");
        assert!(
            text.contains("cannot be revoked") && text.contains("Move every asset now"),
            "{text}"
        );
        assert!(text.contains("validated: "), "{text}");
    }
}
