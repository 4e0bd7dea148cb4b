// The migrations are built into the binary (`sqlx::migrate!`): a new or
// changed migration rebuilds this crate.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
