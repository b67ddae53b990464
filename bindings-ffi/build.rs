fn main() {
    println!("cargo:rerun-if-changed=src");
    // The shared library's SONAME: programs linked with -lsipcreds record libsipcreds.so.0
    // (the ABI's major version), which the archives ship as a symlink.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libsipcreds.so.0");
    }
    println!("cargo:rerun-if-changed=cbindgen.toml");
    #[cfg(feature = "generate-header")]
    {
        let dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
        let config = cbindgen::Config::from_file(format!("{dir}/cbindgen.toml"))
            .expect("read cbindgen.toml");
        cbindgen::Builder::new()
            .with_crate(&dir)
            .with_config(config)
            .generate()
            .expect("generate sipcreds.h")
            .write_to_file(format!("{dir}/include/sipcreds.h"));
    }
}
