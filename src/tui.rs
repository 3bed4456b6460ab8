//! The interactive front door: the engine in its worker, the terminal here. The loop drains the
//! engine's channel once per frame, draws a key's effect at once and new figures at most four
//! times a second (never more than 20 frames a second, at least one a second), and turns keys
//! into actions.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{self, Event};
use ratatui::DefaultTerminal;

use crate::app::{App, Effect, action_for_key};
use crate::engine::{EngineConfig, EngineHandle};
use crate::report::BenchReport;
use crate::ui::{self, Theme};

/// Input is read at least this often, and a key's effect drawn at once (at most 20 frames/s).
const FRAME: Duration = Duration::from_millis(50);
/// New figures are drawn at most this often: every frame costs CPU (ours and the terminal's)
/// that a 2-core machine takes from the models being measured.
const FIGURES_REDRAW: Duration = Duration::from_millis(250);
const IDLE_REDRAW: Duration = Duration::from_secs(1);

pub fn run(config: EngineConfig, out_dir: PathBuf) -> Result<()> {
    let app = App::new(config.suite.clone(), config.backend)
        .map_err(|e| color_eyre::eyre::eyre!(e.to_string()))?;
    let engine = EngineHandle::spawn(config).wrap_err("cannot start the engine")?;
    // ratatui::init installs a panic hook that restores the terminal first.
    let mut terminal = ratatui::init();
    let result = event_loop(&mut terminal, &engine, app, &Theme::from_env(), &out_dir);
    ratatui::restore();
    engine.stop();
    result
}

fn event_loop(
    terminal: &mut DefaultTerminal,
    engine: &EngineHandle,
    mut app: App,
    theme: &Theme,
    out_dir: &Path,
) -> Result<()> {
    // `urgent`: the user did something and expects to see it now.
    let mut dirty = true;
    let mut urgent = true;
    let mut last_draw: Option<Instant> = None;
    while !app.should_quit {
        for event in engine.drain() {
            app.on_engine(event);
            dirty = true;
        }
        let since = last_draw.map(|t| t.elapsed());
        let interval = if urgent { FRAME } else { FIGURES_REDRAW };
        if (dirty && since.is_none_or(|s| s >= interval)) || since.is_none_or(|s| s >= IDLE_REDRAW)
        {
            terminal.draw(|frame| ui::render(&app, theme, frame))?;
            last_draw = Some(Instant::now());
            dirty = false;
            urgent = false;
        }
        if event::poll(FRAME)? {
            match event::read()? {
                Event::Key(key) => {
                    if let Some(action) = action_for_key(key) {
                        for effect in app.update(action) {
                            match effect {
                                Effect::Engine(cmd) => {
                                    engine.send(cmd);
                                }
                                Effect::Snapshot => match write_snapshot(&app, out_dir) {
                                    Ok(path) => {
                                        app.info(format!("snapshot written to {}", path.display()))
                                    }
                                    Err(e) => app.error(format!("{e:#}")),
                                },
                            }
                        }
                        dirty = true;
                        urgent = true;
                    }
                }
                Event::Resize(..) => {
                    dirty = true;
                    urgent = true;
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Writes the current figures as JSON into `out_dir`, atomically and never over an existing
/// file; returns the path.
pub fn write_snapshot(app: &App, out_dir: &Path) -> Result<PathBuf> {
    let summary = app
        .summary
        .as_ref()
        .ok_or_else(|| color_eyre::eyre::eyre!("nothing measured yet: no snapshot to write"))?;
    let mut suite = app.suite.clone();
    suite.workload.batch = summary.batch;
    let report =
        BenchReport::new(&suite, summary).map_err(|e| color_eyre::eyre::eyre!(e.to_string()))?;
    let json = serde_json::to_string_pretty(&report)?;
    std::fs::create_dir_all(out_dir)
        .wrap_err_with(|| format!("cannot create {}", out_dir.display()))?;
    let stem = format!(
        "{}-{}-{}",
        app.suite.name,
        summary.backend.to_string().replace(':', "-"),
        utc_timestamp(SystemTime::now())
    );
    let mut path = out_dir.join(format!("{stem}.json"));
    let mut n = 1;
    while path.exists() {
        n += 1;
        path = out_dir.join(format!("{stem}-{n}.json"));
    }
    let tmp = out_dir.join(format!(".{stem}.json.tmp"));
    let mut file =
        std::fs::File::create(&tmp).wrap_err_with(|| format!("cannot write {}", tmp.display()))?;
    file.write_all(json.as_bytes())
        .and_then(|_| file.sync_all())
        .wrap_err_with(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).wrap_err_with(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// `20261128T142233Z`: sortable, and safe in a file name.
pub fn utc_timestamp(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_calendar_dates() {
        assert_eq!(utc_timestamp(UNIX_EPOCH), "19700101T000000Z");
        let t = UNIX_EPOCH + Duration::from_secs(1_795_875_753);
        assert_eq!(utc_timestamp(t), "20261128T142233Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(utc_timestamp(leap), "20000229T000000Z");
    }
}
