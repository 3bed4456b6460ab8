//! The integration tests that share no process-wide state, in one binary: each test binary
//! links the whole of burn, so one binary instead of fifteen saves a clean build minutes.
//! The engine's and wgpu's tests stay binaries of their own, since they reason about the
//! one wgpu device a process opens.

#[path = "../common/mod.rs"]
mod common;

mod bin;
mod cli_bench;
mod cli_generate;
mod cli_models;
mod cli_report;
mod cli_shell;
mod custom;
mod decoder_models;
mod faults;
mod hf_weights;
mod modules;
mod onnx;
mod pipeline;
mod properties;
mod snapshots_files;
mod traced;
mod train;
mod tui_e2e;
mod tui_views;
mod view_stream;
mod zoo_conv;
mod zoo_models;
mod zoo_vision;
