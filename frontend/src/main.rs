//! Entry point of the dashboard's wasm binary: everything else lives in the library.

/// Talc instead of Rust's default wasm allocator (dlmalloc): a smaller module (docs/dashboard.md).
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(frontend::app::App);
}
