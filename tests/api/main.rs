//! The API's contract, in-process: the real router and domain on a real SQLite file, the
//! in-memory runtime in place of Docker (`TestApp`). Refusals and error shapes need no daemon.

mod errors;
mod hostile_zips;
mod metrics;
mod proxy;
mod releases;
mod tokens;
