//! Milkcrate's dashboard. The Leptos single-page app is tracked in its own issue; until it lands,
//! this crate only proves that the wire types build for the browser side too.

fn main() {
    let _ = shared::validation::app_name("placeholder");
}
