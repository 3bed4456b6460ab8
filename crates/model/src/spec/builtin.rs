//! The suites in `models/`, compiled in so effprof works from any folder.

pub struct BuiltinSuite {
    pub name: &'static str,
    pub text: &'static str,
}

pub const DEFAULT_SUITE: &str = "misnomer";

/// `models/NAME.toml`, compiled in.
macro_rules! builtin {
    ($name:literal) => {
        BuiltinSuite {
            name: $name,
            text: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../models/",
                $name,
                ".toml"
            )),
        }
    };
}

pub const BUILTIN_SUITES: &[BuiltinSuite] = &[
    builtin!("misnomer"),
    builtin!("tiny"),
    builtin!("moe-scaling"),
    builtin!("sparsity"),
    builtin!("convnets"),
    builtin!("attention"),
    builtin!("generation"),
    builtin!("precision"),
    builtin!("llm-shapes"),
    builtin!("imagenet-zoo"),
    builtin!("zoo-small"),
    builtin!("vit-patches"),
];
