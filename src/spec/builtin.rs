//! The suites in `models/`, compiled in so effprof works from any folder.

pub struct BuiltinSuite {
    pub name: &'static str,
    pub text: &'static str,
}

pub const DEFAULT_SUITE: &str = "misnomer";

pub const BUILTIN_SUITES: &[BuiltinSuite] = &[
    BuiltinSuite {
        name: "misnomer",
        text: include_str!("../../models/misnomer.toml"),
    },
    BuiltinSuite {
        name: "tiny",
        text: include_str!("../../models/tiny.toml"),
    },
    BuiltinSuite {
        name: "moe-scaling",
        text: include_str!("../../models/moe-scaling.toml"),
    },
    BuiltinSuite {
        name: "sparsity",
        text: include_str!("../../models/sparsity.toml"),
    },
    BuiltinSuite {
        name: "convnets",
        text: include_str!("../../models/convnets.toml"),
    },
];
