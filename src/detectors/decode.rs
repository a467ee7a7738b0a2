//! The decoding detector: base64 text that hides a secret (a PEM key in a
//! Kubernetes secret or a CI variable, `data:` values of a Secret manifest)
//! is decoded and scanned with every rule. A secret found inside is
//! reported at the encoded text, with the decoded secret as its value.

use memchr::memmem;

use super::checks::base64_decode;
use super::windows::{self, line_end, line_start};
use super::{Engine, INLINE_ALLOW, Match, PathForms, Scratch};

/// Decoded text shorter than this hides nothing worth a scan.
const MIN_DECODED: usize = 8;

/// Runs every decoder the prefilter selected over `data`, adding what the
/// decoded texts hold to `out`.
pub(super) fn run(
    engine: &Engine,
    data: &[u8],
    path: PathForms<'_>,
    scratch: &mut Scratch,
    out: &mut Vec<Match>,
) {
    let rule_count = engine.rules.rules.len();
    let selected: Vec<u32> = scratch
        .hits
        .selected()
        .iter()
        .copied()
        .filter(|&i| i as usize >= rule_count)
        .collect();
    if selected.is_empty() {
        return;
    }
    let mut inner = Scratch::default();
    for i in selected {
        let decoder = &engine.rules.decoders[i as usize - rule_count];
        let mut wins = Vec::new();
        windows::windows(
            data,
            scratch.hits.offsets(i),
            decoder.spec.window,
            decoder.max_lines(),
            &mut wins,
        );
        let re = decoder.regex();
        let mut caps = re.capture_locations();
        let encoded_group = re
            .capture_names()
            .position(|n| n == Some("encoded"))
            .expect("checked at compile");
        let name_group = re.capture_names().position(|n| n == Some("name"));
        windows::each_match(re, data, &wins, &mut caps, |caps, base| {
            let (_, me) = caps.get(0).expect("group 0 always exists");
            let Some((es, ee)) = caps.get(encoded_group) else {
                return me;
            };
            let (es, ee) = (base + es, base + ee);
            let Some(text) = base64_decode(&data[es..ee]) else {
                return me;
            };
            if text.len() < MIN_DECODED || std::str::from_utf8(&text).is_err() {
                return me;
            }
            let ls = line_start(data, es);
            let le = line_end(data, ee.saturating_sub(1).max(es));
            if memmem::find(&data[ls..le], INLINE_ALLOW).is_some() {
                return me;
            }
            // `NAME=decoded`: the decoded value keeps the name it had.
            let mut synthetic = Vec::with_capacity(text.len() + 64);
            if let Some((ns, ne)) = name_group.and_then(|g| caps.get(g)) {
                synthetic.extend_from_slice(&data[base + ns..base + ne]);
                synthetic.push(b'=');
            }
            synthetic.extend_from_slice(&text);
            synthetic.push(b'\n');
            for found in engine.scan_at_depth(&synthetic, path, &mut inner, false, 1) {
                out.push(Match {
                    rule: found.rule,
                    start: es,
                    end: ee,
                    match_start: es,
                    match_end: ee,
                    decoded: Some(synthetic[found.start..found.end].into()),
                });
            }
            me
        });
    }
}
