//! Issue 10, a new user's trial of the wallet rules: files of several
//! seed phrases, published test vectors, redaction of a phrase, the advice
//! of the history audit, and phrase idioms. Phrases and keys are made at
//! run time; the only literals are published test vectors.

mod common;

use common::git::Repo;
use common::*;
use keyhound::rules::examples::expand;

fn make(template: &str, seed: u64) -> String {
    expand(template, &mut Fake::new(seed))
}

/// The shown secrets of the bip39-mnemonic findings of `files`.
fn phrases(files: &[(&str, &str)]) -> Vec<String> {
    let dir = tree(files);
    let (_, doc) = scan_json(dir.path(), &[".", "--show-secrets"]);
    findings(&doc)
        .iter()
        .filter(|f| f["rule_id"] == "bip39-mnemonic")
        .map(|f| f["secret"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn issue10_trial_every_seed_phrase_of_a_file_is_found() {
    let seeds: Vec<String> = (0..5).map(|i| make("{{bip39:12}}", 40 + i)).collect();
    let quoted: Vec<String> = seeds.iter().map(|p| format!("\"{p}\"")).collect();
    let cases = [
        ("seeds.txt", format!("{}\n", seeds.join("\n"))),
        (
            "seeds.py",
            format!("SEEDS = [\n    {},\n]\n", quoted.join(",\n    ")),
        ),
        ("seeds.json", format!("[{}]\n", quoted.join(", "))),
    ];
    for (file, text) in &cases {
        let mut got = phrases(&[(file, text)]);
        got.sort();
        let mut want = seeds.clone();
        want.sort();
        assert_eq!(got, want, "{file}:\n{text}");
    }
    // Two lines, and a phrase of 24 words after one of 12, one word a line.
    let two = format!("{}\n{}\n", seeds[0], seeds[1]);
    assert_eq!(phrases(&[("two.txt", &two)]).len(), 2);
    let long = make("{{bip39:24}}", 50);
    let lines = format!(
        "{}\n{}\n",
        seeds[2].replace(' ', "\n"),
        long.replace(' ', "\n")
    );
    let mut got: Vec<String> = phrases(&[("lines.txt", &lines)])
        .iter()
        .map(|p| p.replace('\n', " "))
        .collect();
    got.sort();
    let mut want = vec![seeds[2].clone(), long];
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn issue10_trial_word_lists_of_twelve_a_line_stay_quiet() {
    // Many lines of 12 list words: a word list, where about 1 line in 16
    // passes the checksum by chance.
    let list = bip39::Language::English.word_list();
    let text: String = (0..64)
        .map(|l| {
            (0..12)
                .map(|k| list[(l * 389 + k * 1031 + 7) % 2048])
                .collect::<Vec<_>>()
                .join(" ")
                + "\n"
        })
        .collect();
    assert!(phrases(&[("words.txt", &text)]).is_empty());
}

#[test]
fn issue10_trial_published_wallet_vectors_stay_quiet() {
    let vectors = [
        // Trezor BIP-39 vectors (python-mnemonic vectors.json).
        "mnemonic = \"ozone drill grab fiber curtain grace pudding thank cruise elder eight picnic\"",
        "words = \"void come effort suffer camp survey warrior heavy shoot primary clutch crush open amazing screen patrol group space point ten exist slush involve unfold\"",
        // BIP-32 test vector 1 m/0H, test vector 2 m, test vector 4 m/0H/1H.
        "xprv = \"xprv9uHRZZhk6KAJC1avXpDAp4MDc3sQKNxDiPvvkX8Br5ngLNv1TxvUxt4cV1rGL5hj6KCesnDYUhd7oWgT11eZG7XnxHrnYeSvkzY7d2bhkJ7\"",
        "xprv = \"xprv9s21ZrQH143K31xYSDQpPDxsXRTUcvj2iNHm5NUtrGiGG5e2DtALGdso3pGz6ssrdK4PFmM8NSpSBHNqPqm55Qn3LqFtT2emdEXVYsCzC2U\"",
        "xprv = \"xprv9xJocDuwtYCMNAo3Zw76WENQeAS6WGXQ55RCy7tDJ8oALr4FWkuVoHJeHVAcAqiZLE7Je3vZJHxspZdFHfnBEjHqU5hG1Jaj32dVoS6XLT1\"",
        // BIP-32 test vector 5: a master key with a parent fingerprint.
        "xprv = \"xprv9s2SPatNQ9Vc6GTbVMFPFo7jsaZySyzk7L8n2uqKXJen3KUmvQNTuLh3fhZMBoG3G4ZW1N2kZuHEPY53qmbZzCHshoQnNf4GvELZfqTUrcv\"",
        // Hardhat account #19, Ganache's deterministic account #0.
        "PRIVATE_KEY=0xdf57089febbacf7ba0bc227dafbffa9fc08a93fdc68e1e42411a14efcf23656e",
        "PRIVATE_KEY=0x4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d",
        // The bs58 crate's test WIF.
        "WIF = \"5Hx15HFGyep2CfPxsJKe2fXJsCVn5DEiyoeGGF6JZjGbTRnqfiD\"",
    ];
    let mut text = vectors.join("\n");
    // Last, a real phrase: the rules are on, and only it is found.
    let good = make("{{bip39:12}}", 60);
    text.push_str(&format!("\nmnemonic = \"{good}\"\n"));
    let dir = tree(&[("vectors.txt", &text)]);
    let (_, doc) = scan_json(
        dir.path(),
        &[".", "--show-secrets", "--min-confidence", "low"],
    );
    let got: Vec<&str> = findings(&doc)
        .iter()
        .map(|f| f["secret"].as_str().unwrap())
        .collect();
    assert_eq!(got, [good.as_str()]);
}

/// Whether `out` shows any word of `phrase` (or its first 4 letters,
/// which identify a BIP-39 word).
fn shows_a_word(out: &str, phrase: &str) -> bool {
    phrase
        .split(' ')
        .any(|w| out.contains(&w[..w.len().min(4)]))
}

/// The reports of a file holding `phrase`: text, JSON, SARIF and GitHub
/// annotations of a scan, the history audit's, and a staged scan's.
fn reports(phrase: &str) -> Vec<String> {
    let text = format!("MNEMONIC=\"{phrase}\"\n");
    let dir = tree(&[("wallet.env", &text)]);
    let mut out: Vec<String> = ["text", "json", "sarif", "github"]
        .iter()
        .map(|f| stdout(&run(dir.path(), &["scan", ".", "--format", f])))
        .collect();
    let mut repo = Repo::new();
    repo.commit_files(&[("wallet.env", &text)], "wallet");
    out.push(stdout(&run(repo.path(), &["git"])));
    repo.write("seed.txt", format!("{phrase}\n").as_bytes());
    repo.stage("seed.txt");
    out.push(stdout(&run(repo.path(), &["scan", "--staged"])));
    out
}

#[test]
fn issue10_trial_seed_phrase_redaction_reveals_no_word() {
    // A phrase none of whose words' first 4 letters occur in the reports
    // of another phrase (rule descriptions and advice are English).
    let baseline = reports(&make("{{bip39:12}}", 69)).join("\n");
    let phrase = (70..)
        .map(|s| make("{{bip39:12}}", s))
        .find(|p| !shows_a_word(&baseline, p))
        .unwrap();
    for out in reports(&phrase) {
        assert!(out.contains("bip39-mnemonic"), "{out}");
        assert!(!shows_a_word(&out, &phrase), "{phrase}: {out}");
    }
}

#[test]
fn issue10_trial_history_advice_for_wallets_moves_funds() {
    let mut repo = Repo::new();
    let phrase = make("{{bip39:12}}", 80);
    let solana = make("{{solana-json}}", 81);
    repo.commit_files(
        &[
            ("wallet.env", &format!("MNEMONIC=\"{phrase}\"\n")),
            ("id.json", &solana),
        ],
        "wallet",
    );
    repo.remove("wallet.env");
    repo.commit("forget the phrase");
    let out = stdout(&run(repo.path(), &["git"]));
    assert!(
        out.contains("bip39-mnemonic") && out.contains("solana-keypair"),
        "{out}"
    );
    assert!(!out.contains("rotate the key"), "{out}");
    assert_eq!(
        out.matches("move the funds to a new wallet whose secret never touched the repository, then purge history")
            .count(),
        2,
        "{out}"
    );
}

#[test]
fn issue10_trial_title_case_and_hyphen_joined_phrases() {
    let phrase = make("{{bip39:12}}", 90);
    let title: Vec<String> = phrase
        .split(' ')
        .map(|w| w[..1].to_uppercase() + &w[1..])
        .collect();
    let got = phrases(&[
        ("a.txt", &format!("{}\n", title.join(" "))),
        ("b.env", &format!("MNEMONIC={}\n", phrase.replace(' ', "-"))),
    ]);
    assert_eq!(got.len(), 2, "{got:?}");
}
