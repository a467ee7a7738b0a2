//! Binance's shape without the word Binance (issue 10, failing input 4):
//! two 64-character mixed-case literals in one `Client(…)` constructor are
//! python-binance's API key and secret, and a 64-character key in a
//! comment beside `Client(os.environ[…], …)` is the value the environment
//! holds. Two hex digests in a call are not keys.

mod common;

use common::*;

#[test]
fn issue10_f4_two_64_character_literals_in_a_client_are_a_binance_pair() {
    let (k, s) = (binance_key("f4-k"), binance_key("f4-s"));
    let dir = tree(&[(
        "trade.py",
        &format!("from exchange_client import Client\n\nclient = Client(\"{k}\", \"{s}\")\n"),
    )]);
    let (code, doc) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1, "{doc:#}");
    let f = findings(&doc);
    assert_eq!(f.len(), 2, "{doc:#}");
    for x in f {
        assert_eq!(x["paired"], true, "{x:#}");
        assert_eq!(x["confidence"], "high", "{x:#}");
        assert!(
            x["tags"].as_array().unwrap().contains(&"binance".into()),
            "{x:#}"
        );
    }
}

#[test]
fn issue10_f4_a_key_in_a_comment_beside_a_client_from_the_environment() {
    let k = binance_key("f4-comment");
    let dir = tree(&[(
        "bot.py",
        &format!(
            "import os\n# key: {k}\nclient = Client(os.environ[\"API_KEY\"], os.environ[\"API_SECRET\"])\n"
        ),
    )]);
    let (code, doc) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1, "{doc:#}");
    assert_eq!(
        summary(&doc),
        [("bot.py".into(), 2, "binance-client-comment-key".into())]
    );
}

#[test]
fn hex_digests_in_a_client_call_are_not_keys() {
    let mut fake = Fake::from_str_seed("f4-hex");
    let (a, b) = (
        fake.string(b"0123456789abcdef", 64),
        fake.string(b"0123456789abcdef", 64),
    );
    let dir = tree(&[(
        "verify.py",
        &format!(
            "client = Client(\"{a}\", \"{b}\")\n# sha: {a}\nclient = Client(os.environ[\"A\"], os.environ[\"B\"])\n"
        ),
    )]);
    let (code, doc) = scan_json(dir.path(), &["--min-confidence", "low"]);
    assert_eq!(code, 0, "{doc:#}");
}
