//! effprof's model layer: what a variant is ([`arch`]), what each family supports ([`family`]), the values behind no count ([`numerics`]), the vision zoo's layer programs
//! ([`vision`]), suite files ([`spec`]), the analytic cost model ([`cost`]), checkpoint headers
//! ([`checkpoint`]) and human-readable units ([`units`]).
//!
//! This crate depends on neither burn nor a terminal library, so the counting and suite tests
//! build and run in seconds; the engine and the front ends build on it.

pub mod arch;
pub mod checkpoint;
pub mod cost;
pub mod family;
pub mod numerics;
pub mod precision;
pub mod spec;
pub mod units;
pub mod vision;
