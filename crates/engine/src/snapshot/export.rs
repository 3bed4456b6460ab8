//! Writing a snapshot as its set of files: JSON (the source of truth), CSV, Markdown, two SVG
//! plots and the text screen, into one folder that appears whole or not at all.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::Snapshot;
use super::plot::{relative_svg, scatter_svg};

/// The files of an export, in the order they are written.
pub const FILES: [&str; 6] = [
    "snapshot.json",
    "snapshot.csv",
    "snapshot.md",
    "scatter.svg",
    "relative.svg",
    "screen.txt",
];

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot render {file}: {message}")]
    Render { file: &'static str, message: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ExportError + '_ {
    move |source| ExportError::Io {
        path: path.display().to_string(),
        source,
    }
}

impl Snapshot {
    pub fn to_json(&self) -> String {
        let mut json = serde_json::to_string_pretty(self).expect("a snapshot is plain data");
        json.push('\n');
        json
    }

    /// The side-by-side table in Markdown, under a heading that says where it was measured;
    /// the pipeline figures after it when there are some.
    pub fn to_markdown(&self) -> String {
        let mut md = format!(
            "## effprof: suite `{}` on {}\n\n{}\n\n{}",
            self.suite.name,
            self.run.backend,
            self.provenance(),
            self.table().to_markdown()
        );
        if let Some(p) = &self.pipeline {
            md.push_str(&format!(
                "\n### Pipeline: `{}` in {} stages\n\n{}",
                p.stages.variant,
                p.stages.layers.len(),
                crate::pipeline::to_markdown(std::slice::from_ref(p))
            ));
        }
        if let Some(r) = self.roofline().filter(|r| !r.points.is_empty()) {
            md.push_str(&format!(
                "\n### Roofline of {}\n\n{}",
                r.backend,
                r.to_text(true)
            ));
        }
        if let Some(runs) = &self.training {
            md.push_str(&format!(
                "\n### Time to convergence on {}\n\n{}",
                self.run.backend,
                crate::train::to_text(runs, true)
            ));
        }
        if let Some(runs) = &self.generation {
            let report = crate::generate::GenerateReport {
                backend: self.run.backend,
                workload: self.suite.workload.describe(),
                baseline: self.suite.workload.baseline.clone(),
                runs: runs.clone(),
                notes: Vec::new(),
            };
            md.push_str(&format!(
                "\n### Generation on {}\n\n{}",
                self.run.backend,
                crate::document::Document::markdown(&report)
            ));
        }
        if let Some(s) = &self.sweep {
            md.push_str(&format!(
                "\n### Sweep on {}\n\n{}",
                s.backend,
                s.to_markdown()
            ));
        }
        md
    }

    pub fn to_csv(&self) -> Result<String, csv::Error> {
        self.table().to_csv()
    }

    /// The table for a terminal, with its provenance.
    pub fn to_text(&self, width: Option<u16>) -> String {
        format!(
            "suite {} ({})\n{}\n{}",
            self.suite.name,
            self.suite.source,
            self.provenance(),
            self.table().to_text(width)
        )
    }
}

/// A snapshot's figures as `report` and `bench` print them; its plots are chosen apart (see
/// `report --plot`).
impl crate::document::Document for Snapshot {
    fn text(&self) -> String {
        self.to_text(None)
    }
    fn markdown(&self) -> String {
        self.to_markdown()
    }
    fn csv(&self) -> Result<String, csv::Error> {
        self.to_csv()
    }
    /// A snapshot is its own document (`effprof.snapshot/N`), its suite inside.
    fn json(&self, _suite: &str) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self)
    }
}

/// Written besides [`FILES`] when the snapshot has pipeline figures.
pub const PIPELINE_FILE: &str = "pipeline.svg";
/// Written besides [`FILES`] when the snapshot has a sweep.
pub const SWEEP_FILE: &str = "sweep.svg";
/// Written besides [`FILES`] when the backend's peaks were measured.
pub const ROOFLINE_FILE: &str = "roofline.svg";
/// Written besides [`FILES`] when variants were trained.
pub const TRAIN_FILE: &str = "train.svg";

/// Every file of the set, rendered: (name, contents), in [`FILES`] order, then the optional
/// ones. `screen` is the screen as the user saw it, as plain text.
pub fn render_set(
    snapshot: &Snapshot,
    screen: &str,
) -> Result<Vec<(&'static str, String)>, ExportError> {
    let render = |file: &'static str| move |e: String| ExportError::Render { file, message: e };
    let mut files = vec![
        (FILES[0], snapshot.to_json()),
        (
            FILES[1],
            snapshot
                .to_csv()
                .map_err(|e| render(FILES[1])(e.to_string()))?,
        ),
        (FILES[2], snapshot.to_markdown()),
        (FILES[3], scatter_svg(snapshot).map_err(render(FILES[3]))?),
        (FILES[4], relative_svg(snapshot).map_err(render(FILES[4]))?),
        (FILES[5], screen.to_owned()),
    ];
    if let Some(p) = &snapshot.pipeline {
        files.push((
            PIPELINE_FILE,
            crate::pipeline::pipeline_svg(p).map_err(render(PIPELINE_FILE))?,
        ));
    }
    if let Some(s) = &snapshot.sweep {
        files.push((
            SWEEP_FILE,
            crate::sweep::sweep_svg(s).map_err(render(SWEEP_FILE))?,
        ));
    }
    if let Some(runs) = &snapshot.training {
        files.push((
            TRAIN_FILE,
            crate::train::train_svg(runs).map_err(render(TRAIN_FILE))?,
        ));
    }
    if let Some(r) = snapshot.roofline().filter(|r| !r.points.is_empty()) {
        files.push((
            ROOFLINE_FILE,
            crate::roofline::roofline_svg(&r).map_err(render(ROOFLINE_FILE))?,
        ));
    }
    Ok(files)
}

/// Writes the set into `parent/<suite>-<backend>-<timestamp>/` and returns that folder. The
/// files are written into a hidden folder beside it, synced, and the folder renamed into place:
/// a reader never sees half a snapshot, and an existing snapshot is never overwritten (a
/// second one in the same second gets `-2`).
pub fn write_set(parent: &Path, snapshot: &Snapshot, screen: &str) -> Result<PathBuf, ExportError> {
    let files = render_set(snapshot, screen)?;
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    let stem = snapshot.stem();
    let tmp = parent.join(format!(".{stem}.{}.tmp", std::process::id()));
    let result = write_files(&tmp, &files).and_then(|()| place(parent, &stem, &tmp));
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

fn write_files(dir: &Path, files: &[(&'static str, String)]) -> Result<(), ExportError> {
    std::fs::create_dir(dir).map_err(io(dir))?;
    for (name, contents) in files {
        let path = dir.join(name);
        let mut file = std::fs::File::create(&path).map_err(io(&path))?;
        file.write_all(contents.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(io(&path))?;
    }
    Ok(())
}

/// Renames `tmp` to the first free `parent/stem[-n]`.
fn place(parent: &Path, stem: &str, tmp: &Path) -> Result<PathBuf, ExportError> {
    for n in 1..1000 {
        let path = if n == 1 {
            parent.join(stem)
        } else {
            parent.join(format!("{stem}-{n}"))
        };
        if path.exists() {
            continue;
        }
        match std::fs::rename(tmp, &path) {
            Ok(()) => return Ok(path),
            // Taken between the check and the rename: a non-empty folder is never replaced.
            Err(_) if path.exists() => continue,
            Err(e) => return Err(io(&path)(e)),
        }
    }
    Err(ExportError::Io {
        path: parent.join(stem).display().to_string(),
        source: std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "999 snapshots with this name already exist",
        ),
    })
}
