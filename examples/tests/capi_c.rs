//! The C examples (`examples/c`), built by their Makefile against the C ABI
//! and run: `tcpkit-summary` says what `tcpkit flows --json` says on every
//! lab capture (with `-j 2`, the option `threads`, the same lines as with one
//! thread), `tcpkit-live` (libpcap, packets pushed from `pcap_loop`)
//! prints what `tcpkit report` prints, `tcpkit-story` gives the states,
//! trains, notes and findings of `flows --json` and `report`, the Arrow C stream has as many rows as
//! `tcpkit segments --json` has lines, and `check-errors` (NULL, a cut buffer,
//! a non-capture, a push after finish) passes; then all of it again under
//! valgrind and built with `-fsanitize=address,undefined`.
//!
//! Needs a C compiler, libpcap's headers and valgrind (Debian: libpcap-dev,
//! valgrind; `scripts/setup-c.sh` installs them).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every lab capture.
fn lab() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(repo().join("testdata/captures/lab"))
        .expect("testdata/captures/lab")
        .filter_map(|e| {
            let dir = e.ok()?.path();
            ["capture.pcap", "capture.pcapng"]
                .iter()
                .map(|n| dir.join(n))
                .find(|p| p.exists())
        })
        .collect();
    v.sort();
    assert!(v.len() >= 17, "the lab captures are missing");
    v
}

/// Builds the library and the examples with `make -C examples/c` (once per
/// flavour) and returns the folder of the examples.
fn build(sanitize: Option<&str>) -> PathBuf {
    static PLAIN: OnceLock<PathBuf> = OnceLock::new();
    static SANITIZED: OnceLock<PathBuf> = OnceLock::new();
    let cell = if sanitize.is_some() {
        &SANITIZED
    } else {
        &PLAIN
    };
    cell.get_or_init(|| {
        let target = repo().join("target");
        let stage = target.join(match sanitize {
            None => "debug/tcpkit-c-test",
            Some(_) => "debug/tcpkit-c-test-sanitized",
        });
        let mut make = Command::new("make");
        make.arg("-C")
            .arg(repo().join("examples/c"))
            .arg("PROFILE=dev")
            .arg(format!("STAGE={}", stage.display()))
            .env("CARGO_TARGET_DIR", &target);
        if let Some(s) = sanitize {
            // The shared library: the sanitizer runtime comes first.
            make.arg(format!("SANITIZE={s}")).arg("LINK=shared");
        }
        let out = make.output().expect("make");
        assert!(
            out.status.success(),
            "make -C examples/c failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        stage.join("bin")
    })
    .clone()
}

/// How a program is run: plainly, under valgrind, or built with sanitizers.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Plain,
    Valgrind,
    Sanitized,
}

fn run(mode: Mode, program: &str, args: &[&Path]) -> Output {
    let bin = build((mode == Mode::Sanitized).then_some("address,undefined")).join(program);
    let mut cmd = match mode {
        Mode::Valgrind => {
            let mut c = Command::new("valgrind");
            c.args([
                "--quiet",
                "--error-exitcode=99",
                "--leak-check=full",
                "--show-leak-kinds=definite,indirect,possible",
                "--errors-for-leak-kinds=definite,indirect,possible",
            ])
            .arg(format!(
                "--suppressions={}",
                repo().join("examples/c/valgrind.supp").display()
            ))
            .arg(&bin);
            c
        }
        _ => Command::new(&bin),
    };
    cmd.args(args);
    if mode == Mode::Sanitized {
        cmd.env(
            "ASAN_OPTIONS",
            "detect_leaks=1:abort_on_error=0:exitcode=98",
        )
        .env(
            "UBSAN_OPTIONS",
            "print_stacktrace=1:halt_on_error=1:exitcode=97",
        );
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("{program}: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !matches!(out.status.code(), Some(97..=99)) && !stderr.contains("ERROR: AddressSanitizer"),
        "{program} {args:?} ({}) reports memory errors:\n{stderr}",
        match mode {
            Mode::Plain => "plain",
            Mode::Valgrind => "valgrind",
            Mode::Sanitized => "ASan/UBSan",
        }
    );
    out
}

fn tcpkit(args: &[&str], capture: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_tcpkit"))
        .args(args)
        .arg(capture)
        .output()
        .expect("tcpkit");
    assert!(
        out.status.success(),
        "tcpkit {args:?} {}",
        capture.display()
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn text(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 output")
}

/// `ip:port`, `[ip]:port` for IPv6, from a JSON endpoint `{"ip":..,"port":..}`.
fn endpoint(v: &Value) -> String {
    let ip = v["ip"].as_str().expect("ip");
    let port = v["port"].as_u64().expect("port");
    if ip.contains(':') {
        format!("[{ip}]:{port}")
    } else {
        format!("{ip}:{port}")
    }
}

/// `flows --json`'s object as the summary line tcpkit-summary prints.
fn summary_line(f: &Value) -> String {
    // `irtt` is a duration in seconds (written from integer ns, nine
    // decimals at most, so the f64 rounds back to the exact ns).
    let h = &f["handshake"];
    let irtt = h
        .get("irtt_ns")
        .and_then(Value::as_i64)
        .or_else(|| h["irtt"].as_f64().map(|s| (s * 1e9).round() as i64))
        .map(|n| n.to_string())
        .unwrap_or_default();
    format!(
        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
        f["conn"],
        endpoint(&f["client"]),
        endpoint(&f["server"]),
        f["handshake"]["outcome"].as_str().expect("outcome"),
        f["packets"]["c2s"],
        f["packets"]["s2c"],
        f["bytes"]["c2s"],
        f["bytes"]["s2c"],
        f["retransmissions"]["c2s"],
        f["retransmissions"]["s2c"],
        irtt
    )
}

fn summary_matches_flows(mode: Mode) {
    for cap in lab() {
        let out = run(mode, "tcpkit-summary", &[&cap]);
        assert!(out.status.success(), "tcpkit-summary {}", cap.display());
        let got = text(&out);
        let mut want = String::from(
            "conn\tclient\tserver\toutcome\tpackets_c2s\tpackets_s2c\tbytes_c2s\tbytes_s2c\tretrans_c2s\tretrans_s2c\tirtt_ns\n",
        );
        for line in tcpkit(&["flows", "--json"], &cap).lines() {
            let f: Value = serde_json::from_str(line).expect("flows --json line");
            want.push_str(&summary_line(&f));
            want.push('\n');
        }
        assert_eq!(got, want, "tcpkit-summary {}", cap.display());
    }
}

fn live_matches_report(mode: Mode) {
    for cap in lab() {
        let out = run(mode, "tcpkit-live", &[Path::new("-r"), &cap]);
        assert!(out.status.success(), "tcpkit-live -r {}", cap.display());
        assert_eq!(
            text(&out),
            tcpkit(&["report"], &cap),
            "tcpkit-live -r {}",
            cap.display()
        );
    }
}

/// `tcpkit-story`'s facts as `flows --json` and `report --json` give them
/// (states, trains, close, findings) and as `tcpkit report` words them (notes).
fn story_matches(mode: Mode) {
    fn side(dir: &str) -> &str {
        match dir {
            "c2s" => "client",
            "s2c" => "server",
            other => other,
        }
    }
    let who = |v: &Value| v.as_str().unwrap_or("-").to_string();
    for cap in lab() {
        let out = run(mode, "tcpkit-story", &[&cap]);
        assert!(out.status.success(), "tcpkit-story {}", cap.display());
        let mut want = String::new();
        for line in tcpkit(&["flows", "--json"], &cap).lines() {
            let f: Value = serde_json::from_str(line).expect("flows --json line");
            let conn = &f["conn"];
            for s in ["client", "server"] {
                for st in f["states"][s].as_array().into_iter().flatten() {
                    let name = st["state"].as_str().expect("state");
                    want += &format!("state\t{conn}\t{s}\t{name}\t{}\n", st["t_ns"]);
                }
            }
            for t in f["trains"].as_array().into_iter().flatten() {
                let frames: Vec<String> = t["frames"]
                    .as_array()
                    .expect("frames")
                    .iter()
                    .map(|x| x.to_string())
                    .collect();
                want += &format!(
                    "train\t{conn}\t{}\t{}\t{}\t{}\t{}\n",
                    side(t["dir"].as_str().expect("dir")),
                    t["kind"].as_str().expect("kind"),
                    t["seq"],
                    t["verdict"].as_str().expect("verdict"),
                    frames.join(",")
                );
            }
            let close = &f["close"];
            want += &format!(
                "close\t{conn}\t{}\t{}\n",
                who(&close["first_fin_by"]),
                who(&close["rst_by"])
            );
        }
        let report: Value =
            serde_json::from_str(&tcpkit(&["report", "--json"], &cap)).expect("report --json");
        let mut findings = String::new();
        for f in report["findings"].as_array().into_iter().flatten() {
            // A finding about the whole capture has no endpoint; one about a
            // host (never_answered on several ports, mtu_mismatch) has port 0,
            // a host's single silent port that port; mtu_mismatch names the
            // first connection of its pair.
            let host = f.get("host").and_then(Value::as_str).map(|h| {
                let port = match (f.get("port_count"), f.get("ports")) {
                    (Some(n), Some(p)) if n == 1 => p[0].as_u64().expect("port"),
                    _ => 0,
                };
                if h.contains(':') {
                    format!("[{h}]:{port}")
                } else {
                    format!("{h}:{port}")
                }
            });
            let ep = f
                .get("listener")
                .or_else(|| f.get("endpoint"))
                .map(endpoint)
                .or(host);
            let conn = f
                .get("conn")
                .or_else(|| f.get("first_conn"))
                .and_then(Value::as_i64)
                .unwrap_or(-1);
            findings += &format!(
                "finding\t{}\t{}\t{conn}\n",
                f["code"].as_str().expect("code"),
                ep.unwrap_or_else(|| "-".to_string())
            );
        }
        let got = text(&out);
        let facts: String = got
            .lines()
            .filter(|l| !l.starts_with("note\t") && !l.starts_with("finding\t"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(facts, want, "tcpkit-story {}", cap.display());
        let got_findings: String = got
            .lines()
            .filter(|l| l.starts_with("finding\t"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(
            got_findings,
            findings,
            "tcpkit-story {} findings",
            cap.display()
        );
        // The notes: the "  - " lines of the report's connection blocks.
        let report_text = tcpkit(&["report"], &cap);
        let blocks = report_text.split("\nCapture:").next().unwrap_or("");
        let want_notes: Vec<&str> = blocks
            .lines()
            .filter_map(|l| l.strip_prefix("  - "))
            .collect();
        let got_notes: Vec<&str> = got
            .lines()
            .filter_map(|l| l.strip_prefix("note\t"))
            .map(|l| l.split_once('\t').map_or(l, |x| x.1))
            .collect();
        assert_eq!(
            got_notes,
            want_notes,
            "tcpkit-story {} notes",
            cap.display()
        );
    }
}

fn arrow_rows(mode: Mode) {
    for cap in lab() {
        let out = run(mode, "tcpkit-arrow-count", &[&cap]);
        assert!(out.status.success(), "tcpkit-arrow-count {}", cap.display());
        let segments = tcpkit(&["segments", "--json"], &cap).lines().count();
        let got = text(&out);
        assert!(
            got.starts_with(&format!("{segments} rows, ")),
            "{}: {got} (segments --json: {segments})",
            cap.display()
        );
    }
}

fn errors(mode: Mode) {
    let cap = repo().join("testdata/captures/lab/many-short-connections/capture.pcap");
    let not_a_capture = repo().join("testdata/README.md");
    let out = run(mode, "check-errors", &[&cap, &not_a_capture]);
    assert!(
        out.status.success(),
        "check-errors:\n{}{}",
        text(&out),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text(&out).ends_with(" 0 failed\n"), "{}", text(&out));
}

#[test]
fn summary_matches_flows_json() {
    summary_matches_flows(Mode::Plain);
}

/// The option `threads` (`tcpkit-summary -j N`): two and three threads give
/// the connections of one thread, line for line, on every lab capture.
#[test]
fn summary_with_threads_gives_one_threads_lines() {
    for cap in lab() {
        let one = run(Mode::Plain, "tcpkit-summary", &[&cap]);
        assert!(one.status.success(), "tcpkit-summary {}", cap.display());
        for n in ["2", "3"] {
            let many = run(
                Mode::Plain,
                "tcpkit-summary",
                &[Path::new("-j"), Path::new(n), &cap],
            );
            assert!(
                many.status.success(),
                "tcpkit-summary -j {n} {}",
                cap.display()
            );
            assert_eq!(
                text(&many),
                text(&one),
                "tcpkit-summary -j {n} {}",
                cap.display()
            );
        }
    }
}

/// `-` reads standard input (a pipe): the same lines as the path.
#[test]
fn summary_reads_standard_input() {
    let cap = repo().join("testdata/captures/lab/many-short-connections/capture.pcap");
    let bin = build(None).join("tcpkit-summary");
    let piped = Command::new(&bin)
        .arg("-")
        .stdin(std::fs::File::open(&cap).expect("capture"))
        .output()
        .expect("tcpkit-summary -");
    assert!(piped.status.success());
    let direct = run(Mode::Plain, "tcpkit-summary", &[&cap]);
    assert_eq!(text(&piped), text(&direct));
    assert!(text(&piped).lines().count() > 2);
}

#[test]
fn live_prints_what_report_prints() {
    live_matches_report(Mode::Plain);
}

#[test]
fn story_matches_flows_and_report_json() {
    story_matches(Mode::Plain);
}

#[test]
fn arrow_stream_has_every_segment() {
    arrow_rows(Mode::Plain);
}

#[test]
fn bad_input_and_misuse_return_a_status_and_a_message() {
    errors(Mode::Plain);
}

/// Every example once under valgrind (a small capture: valgrind is slow).
#[test]
fn valgrind_finds_nothing() {
    let cap = repo().join("testdata/captures/lab/rst-refused-and-abort/capture.pcap");
    for (prog, args) in [
        ("tcpkit-summary", vec![cap.as_path()]),
        (
            "tcpkit-summary",
            vec![Path::new("-j"), Path::new("2"), cap.as_path()],
        ),
        ("tcpkit-live", vec![Path::new("-r"), cap.as_path()]),
        ("tcpkit-story", vec![cap.as_path()]),
        ("tcpkit-arrow-count", vec![cap.as_path()]),
    ] {
        let out = run(Mode::Valgrind, prog, &args);
        assert!(out.status.success(), "{prog} under valgrind");
    }
    errors(Mode::Valgrind);
}

/// Everything again, built with `-fsanitize=address,undefined`.
#[test]
fn sanitizers_find_nothing() {
    // The runtime really is linked in (a build that silently dropped the
    // flag would find nothing too).
    let bin = build(Some("address,undefined")).join("tcpkit-summary");
    let nm = Command::new("nm").arg(&bin).output().expect("nm");
    assert!(
        String::from_utf8_lossy(&nm.stdout).contains("__asan_init"),
        "{} is not built with AddressSanitizer",
        bin.display()
    );
    summary_matches_flows(Mode::Sanitized);
    live_matches_report(Mode::Sanitized);
    story_matches(Mode::Sanitized);
    arrow_rows(Mode::Sanitized);
    errors(Mode::Sanitized);
}
