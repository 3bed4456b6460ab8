//! `effprof view`: a recorded `bench --format jsonl` stream read back into the TUI's state, and
//! every way a stream can be wrong.

use std::io::Cursor;
use std::path::Path;
use std::time::{Duration, Instant};

use effprof::app::{Action, App, Effect, View};
use effprof::stream::{self, StreamError};
use effprof::stream::{StreamItem, StreamSource};
use effprof::ui::{self, Theme};

use crate::common::take_message;

fn recorded() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/run-tiny.jsonl"),
    )
    .unwrap()
}

fn source(text: &str) -> Result<StreamSource, StreamError> {
    StreamSource::new("run.jsonl".into(), Box::new(Cursor::new(text.to_owned())))
}

/// Feeds everything the reader thread hands over into `app`, until the end of the stream.
fn replay(source: StreamSource, app: &mut App) -> (usize, Vec<String>) {
    let rx = source.spawn();
    let (mut summaries, mut errors) = (0, Vec::new());
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(StreamItem::Event(event)) => {
                if let effprof::engine::EngineEvent::Error(e) = &event {
                    errors.push(e.to_string());
                } else {
                    summaries += 1;
                }
                app.on_engine(event);
            }
            Ok(StreamItem::End(note)) => {
                app.info(note);
                return (summaries, errors);
            }
            Err(_) => {}
        }
    }
    panic!("the stream did not end");
}

#[test]
fn a_recorded_run_replays_into_the_views() {
    let text = recorded();
    let lines = text.lines().count();
    let source = source(&text).unwrap();
    let mut app = source.app().unwrap();
    assert_eq!(app.watched(), Some("run.jsonl"));
    assert!(
        app.host().logical_cores >= 1,
        "the recording machine's host"
    );
    let (summaries, errors) = replay(source, &mut app);
    assert_eq!(summaries, lines - 1, "every line after the header");
    assert!(errors.is_empty(), "{errors:?}");
    let last = app.summary().cloned().expect("the last summary is shown");
    let moe = last.variants.iter().find(|v| v.name == "moe").unwrap();
    assert!(moe.latency.unwrap().iterations >= 3);
    assert!(!moe.routing.is_empty(), "MoE routing travels in the stream");
    let message = app.message().unwrap();
    assert!(message.text.contains("end of run.jsonl"), "{message:?}");

    // The views draw the recorded figures.
    app.update(Action::Dismiss);
    app.update(Action::ShowView(View::Compare));
    let screen = ui::screen_text(&app, &Theme::plain(), 160, 48);
    assert!(screen.contains("watching run.jsonl"), "{screen}");
    assert!(
        screen.contains("nothing to steer"),
        "the footer says so:\n{screen}"
    );
    assert!(screen.contains("latency p50"), "{screen}");
    let p50 = effprof::units::seconds(moe.latency.unwrap().p50_s);
    assert!(screen.contains(&p50), "moe's p50 {p50} shown:\n{screen}");

    // A snapshot of what is watched carries the recording's host.
    let snapshot = app.snapshot(std::time::SystemTime::now()).unwrap().unwrap();
    assert_eq!(&snapshot.host, app.host());
    assert_eq!(snapshot.variants.len(), 2);
}

#[test]
fn a_watched_run_cannot_be_steered_but_can_be_browsed() {
    let source = source(&recorded()).unwrap();
    let mut app = source.app().unwrap();
    for action in [
        Action::NextBackend,
        Action::TogglePause,
        Action::DoubleBatch,
        Action::ResetStats,
    ] {
        assert!(app.update(action).is_empty(), "{action:?} sends nothing");
        let m = take_message(&mut app).unwrap();
        assert!(m.text.contains("cannot be steered"), "{m:?}");
    }
    assert_eq!(app.update(Action::FocusNext), Vec::<Effect>::new());
    assert_eq!(app.focused_name(), "moe");
    assert_eq!(app.update(Action::Snapshot), vec![Effect::Snapshot]);
}

#[test]
fn a_bad_line_is_reported_with_its_number_and_skipped() {
    let text = recorded();
    let mut lines: Vec<&str> = text.lines().collect();
    let n = lines.len();
    lines.insert(2, "{\"not\": \"a summary\"}");
    let last = lines[n].to_owned();
    let cut = &last[..last.len() / 2];
    lines[n] = cut;
    let source = source(&(lines.join("\n") + "\n")).unwrap();
    let mut app = source.app().unwrap();
    let (summaries, errors) = replay(source, &mut app);
    assert_eq!(summaries, n - 2);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].starts_with("run.jsonl line 3: not an engine summary"),
        "{errors:?}"
    );
    assert!(
        errors[1].contains(&format!("line {}: truncated", n + 1)),
        "{errors:?}"
    );
}

#[test]
fn streams_without_a_usable_header_are_refused() {
    let text = recorded();
    let empty = source("").err().unwrap();
    assert!(matches!(empty, StreamError::Empty { .. }), "{empty}");
    assert!(empty.to_string().contains("run.jsonl is empty"), "{empty}");

    // A stream recorded without its header: it starts with a summary.
    let headless: String = text.lines().skip(1).collect::<Vec<_>>().join("\n");
    let e = source(&headless).err().unwrap();
    assert!(matches!(e, StreamError::NoHeader { .. }), "{e}");
    assert!(e.to_string().contains("line 1"), "{e}");

    let newer = text.replacen("effprof.stream/1", "effprof.stream/9", 1);
    let e = source(&newer).err().unwrap();
    assert!(matches!(e, StreamError::Newer { .. }), "{e}");
    assert!(e.to_string().contains("effprof.stream/9"), "{e}");

    let e = source("not json at all\n").err().unwrap();
    assert!(e.to_string().contains("not valid JSON"), "{e}");
}

#[test]
fn the_header_round_trips() {
    let header = stream::read_header(&mut Cursor::new(recorded()), "run").unwrap();
    assert_eq!(header.schema, stream::STREAM_SCHEMA);
    let names: Vec<&str> = header.analytic.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["dense", "moe"]);
    let again = serde_json::to_string(&header).unwrap();
    let back = stream::read_header(&mut Cursor::new(again + "\n"), "run").unwrap();
    assert_eq!(back.suite, header.suite);
    assert_eq!(back.host, header.host);
}
