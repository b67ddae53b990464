fn main() {
    println!("cargo:rerun-if-changed=src");
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
