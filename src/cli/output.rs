//! Where reports go and how they look; loading rules with the user's config.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;

use std::time::Duration;

use anyhow::{Context, Result};

use super::{ColorArg, ConfidenceArg, EXIT_CLEAN, EXIT_ERROR, FormatArg, ReportArgs, VerifyArgs};
use keyhound::config::{self, Loaded};
use keyhound::findings::Outcome;
use keyhound::reports::{self, Format, TextOptions};
use keyhound::rules::RuleSet;
use keyhound::verify::{Settings, Verifier};

pub fn format(f: FormatArg) -> Format {
    match f {
        FormatArg::Text => Format::Text,
        FormatArg::Json => Format::Json,
        FormatArg::Sarif => Format::Sarif,
        FormatArg::Github => Format::Github,
    }
}

/// Colour only on a terminal, and never when NO_COLOR is set (no-color.org).
pub fn use_color(arg: ColorArg, terminal: bool) -> bool {
    match arg {
        ColorArg::Always => true,
        ColorArg::Never => false,
        ColorArg::Auto => terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    }
}

/// What a scan does with what it finds: `--show-secrets`, the config's
/// accepted fingerprints, and the least confidence reported
/// (`--min-confidence`, else the config's `min-confidence`, else
/// [`keyhound::confidence::DEFAULT_MIN`]).
pub fn scan_output(report: &ReportArgs, loaded: &Loaded) -> keyhound::scan::Output {
    scan_output_with(report.min_confidence, report.show_secrets, loaded)
}

/// [`scan_output`] from its parts, for commands without report options.
pub fn scan_output_with(
    min_confidence: Option<ConfidenceArg>,
    show_secrets: bool,
    loaded: &Loaded,
) -> keyhound::scan::Output {
    keyhound::scan::Output {
        reveal: if show_secrets {
            keyhound::findings::Reveal::Shown
        } else {
            keyhound::findings::Reveal::Redacted
        },
        suppressed: loaded.fingerprints(),
        min_confidence: min_confidence
            .map(ConfidenceArg::level)
            .or(loaded.config.min_confidence)
            .unwrap_or(keyhound::confidence::DEFAULT_MIN),
    }
}

/// The built-in pack with the config applied.
pub fn load_rules(explicit: Option<&Path>, root: &Path) -> Result<(RuleSet, Loaded)> {
    let loaded = config::discover(explicit, root).context("cannot load the config")?;
    let rules = rules_with(&loaded)?;
    Ok((rules, loaded))
}

/// The built-in pack with `loaded` applied.
pub fn rules_with(loaded: &Loaded) -> Result<RuleSet> {
    let mut rules = RuleSet::builtin()
        .context("the built-in rule pack is broken (run `keyhound rules check`)")?;
    config::apply(&mut rules, loaded).context("cannot apply the config")?;
    Ok(rules)
}

/// With `--verify`, asks the exchanges about the credential pairs found
/// (see `keyhound::verify`) and notes how many requests went where.
fn verify(args: &VerifyArgs, outcome: &mut Outcome) -> Result<()> {
    if !args.verify {
        return Ok(());
    }
    let mut notes = Vec::new();
    let mut url = |value: &str| -> Result<String> {
        let url = parse_base_url(value).map_err(|e| anyhow::anyhow!(e))?;
        Ok(base_url(&url, &mut notes))
    };
    let settings = Settings {
        binance_url: url(&args.binance_api_url)?,
        okx_url: url(&args.okx_api_url)?,
        bybit_url: url(&args.bybit_api_url)?,
        connect_timeout: Duration::from_secs(args.verify_connect_timeout),
        timeout: Duration::from_secs(args.verify_timeout),
        ..Settings::default()
    };
    outcome.notes.append(&mut notes);
    let tally = Verifier::new(settings).verify(&mut outcome.findings);
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let to = if tally.hosts.is_empty() {
        String::new()
    } else {
        format!(" to {}", tally.hosts.join(", "))
    };
    outcome.notes.push(format!(
        "--verify: {} signed request{}{to} for {} distinct pair{}",
        tally.requests,
        plural(tally.requests),
        tally.pairs,
        plural(tally.pairs)
    ));
    for host in &tally.hosts {
        if let Some(proxy) = keyhound::verify::proxy_for(host) {
            outcome.notes.push(format!(
                "--verify: the requests to {host} went through the proxy {proxy} (from the environment: HTTPS_PROXY, HTTP_PROXY or ALL_PROXY; NO_PROXY exempts hosts)"
            ));
        }
    }
    Ok(())
}

/// Checks an exchange's base URL given to `--binance-api-url` and
/// friends (before any scan, with or without `--verify`, see
/// [`check_verify_args`]): `http://` or `https://` (any case), a host without spaces,
/// a port up to 65535, and no user name, password, query or fragment
/// (nothing but the signed check request is sent). Returns it with the
/// scheme in lower case and no trailing slash.
pub fn parse_base_url(value: &str) -> std::result::Result<String, String> {
    let url = value.trim_end_matches('/');
    // Never repeat a password given in the URL.
    let shown = match value.split_once("://") {
        Some((scheme, rest)) if rest.split('/').next().unwrap_or("").contains('@') => {
            let host = rest.split_once('@').map_or(rest, |(_, h)| h);
            format!("{scheme}://…@{host}")
        }
        _ => value.to_string(),
    };
    let value = shown.as_str();
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(format!(
            "`{value}`: give an http:// or https:// URL, like https://api.binance.com"
        ));
    }
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') || url.contains(['?', '#']) {
        return Err(format!(
            "`{value}`: give a base URL with a host and no user name, password, query or fragment, like https://api.binance.com"
        ));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("`{value}`: a URL holds no spaces"));
    }
    // The port, when given, a number up to 65535.
    if host_port(authority)
        .1
        .is_some_and(|p| p.parse::<u16>().is_err())
    {
        return Err(format!(
            "`{value}`: the port must be a number from 0 to 65535"
        ));
    }
    Ok(format!("{scheme}://{rest}"))
}

/// `host:port`, `[v6]:port` or a bare host, split into host and port.
fn host_port(authority: &str) -> (&str, Option<&str>) {
    match authority.rsplit_once(':') {
        Some((host, port)) if !host.starts_with('[') || host.ends_with(']') => (host, Some(port)),
        _ => (authority, None),
    }
}

/// Checks `--binance-api-url`, `--okx-api-url` and `--bybit-api-url`
/// before the scan starts: a mistake costs no scan. The error names the
/// flag and what to give; a password in the URL is never repeated.
pub fn check_verify_args(args: &VerifyArgs) -> Result<()> {
    for (flag, value) in [
        ("binance-api-url", &args.binance_api_url),
        ("okx-api-url", &args.okx_api_url),
        ("bybit-api-url", &args.bybit_api_url),
    ] {
        parse_base_url(value).map_err(|e| anyhow::anyhow!("--{flag} {e}"))?;
    }
    Ok(())
}

/// `url` (already checked by [`parse_base_url`]), noting in `notes` when
/// it is plain http to a host other than this machine.
fn base_url(url: &str, notes: &mut Vec<String>) -> String {
    let authority = url
        .split("://")
        .nth(1)
        .unwrap_or("")
        .split('/')
        .next()
        .unwrap_or("");
    let host = host_port(authority).0;
    let loopback = matches!(host, "127.0.0.1" | "localhost" | "[::1]")
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback());
    if url.starts_with("http://") && !loopback {
        notes.push(format!(
            "--verify: {url} is plain http: the API key and the signature cross the network unencrypted"
        ));
    }
    url.to_string()
}

/// Verifies when asked (`--verify`), writes the report where asked and
/// returns the exit code.
pub fn emit(args: &ReportArgs, outcome: &mut Outcome, rules: &RuleSet) -> Result<u8> {
    verify(&args.verify, outcome)?;
    let outcome = &*outcome;
    // The exit code is settled before writing: a reader that stops early
    // (`keyhound scan | head`) must not turn findings into success.
    let code = if !outcome.findings.is_empty() {
        args.exit_code
    } else if !outcome.stats.complete && !outcome.fail_open {
        EXIT_ERROR
    } else {
        EXIT_CLEAN
    };
    let text = TextOptions {
        color: use_color(
            args.color,
            args.output.is_none() && io::stdout().is_terminal(),
        ),
    };
    // Further reports first: a reader of standard output that stops early
    // must not leave them unwritten.
    for extra in &args.reports {
        let plain = TextOptions { color: false };
        write_file(&extra.path, format(extra.format), outcome, rules, plain)?;
    }
    let written = match &args.output {
        Some(path) => write_file(path, format(args.format), outcome, rules, text),
        None => {
            let stdout = io::stdout();
            let mut w = BufWriter::new(stdout.lock());
            reports::write(&mut w, format(args.format), outcome, rules, text)
                .and_then(|()| w.flush())
                .map_err(anyhow::Error::from)
        }
    };
    match written {
        Err(e) if super::is_broken_pipe(&e) => return Ok(code),
        other => other?,
    }
    print_notes(&outcome.notes);
    // A report in a file, or for tools, leaves the job log (standard
    // error) with the summary line.
    if args.output.is_some() || args.format != FormatArg::Text {
        let color = use_color(args.color, io::stderr().is_terminal());
        eprintln!("{}", reports::text::summary_line(outcome, color));
    }
    Ok(code)
}

/// Writes one report to the file at `path` (created or truncated).
fn write_file(
    path: &Path,
    format: Format,
    outcome: &Outcome,
    rules: &RuleSet,
    text: TextOptions,
) -> Result<()> {
    let file = File::create(path)
        .with_context(|| format!("cannot write the report to {}", path.display()))?;
    let mut w = BufWriter::new(file);
    reports::write(&mut w, format, outcome, rules, text)
        .and_then(|()| w.flush())
        .with_context(|| format!("cannot write the report to {}", path.display()))
}

/// Skipped files and read errors, on stderr, at most a screenful.
pub fn print_notes(notes: &[String]) {
    const MAX: usize = 20;
    for n in notes.iter().take(MAX) {
        eprintln!("keyhound: note: {}", keyhound::reports::escape::escape(n));
    }
    if notes.len() > MAX {
        eprintln!("keyhound: note: ... and {} more", notes.len() - MAX);
    }
}
