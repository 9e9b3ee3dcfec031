//! End-to-end tests: the real `milkcrate` binary, a real Docker daemon and a real Traefik.
//! `scripts/test.sh` prepares the machine (Docker, busybox, the Traefik image) and builds the binary.

mod auth;
mod backups;
mod clients;
mod compose;
mod compose_setup;
mod contract;
mod deploy;
mod disk_full;
mod edge;
mod events;
mod faults;
mod first_start;
mod https;
mod lifecycle;
mod logs;
mod machine_api;
mod mounts;
mod openapi;
mod releases;
mod volumes;
mod webhooks;
