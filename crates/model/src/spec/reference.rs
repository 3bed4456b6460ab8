//! What a suite file may hold, read from the parser itself: the keys each table accepts and the
//! names each choice key takes. The suite-file reference (docs/suite-files.md) is checked
//! against this both ways, so the documentation cannot drift from what is accepted.

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::arch::{Attention, FfnKind, MatchBy, Norm, Positions, QkNorm, SolveDim};
use crate::family::{ConvKind, FamilyKind, Kernel};
use crate::numerics::Gelu;
use crate::precision::{Dtype, QuantBits};
use crate::vision::Preset;

/// A table of a suite file (`top level`, `[suite]`, `[[variant]]`, `match`) and the keys it
/// accepts, in the order the parser declares them.
#[derive(Clone, Copy, Debug)]
pub struct Table {
    pub name: &'static str,
    pub keys: &'static [&'static str],
}

/// Every table of a suite file with the keys the parser accepts in it.
pub fn tables() -> Vec<Table> {
    super::parse::accepted_keys()
        .into_iter()
        .map(|(name, keys)| Table { name, keys })
        .collect()
}

/// The names `key` of `table` takes, as the parser matches them; `None` for a key that is not
/// a choice among names.
pub fn choices(table: &str, key: &str) -> Option<Vec<&'static str>> {
    fn names<T, const N: usize>(all: [(&'static str, T); N]) -> Vec<&'static str> {
        all.into_iter().map(|(name, _)| name).collect()
    }
    Some(match (table, key) {
        ("[suite]" | "[[variant]]", "dtype") => names(Dtype::ALL),
        ("[[variant]]", "family") => names(FamilyKind::IN_SUITE_FILES),
        ("[[variant]]", "attention") => names(Attention::ALL),
        ("[[variant]]", "norm") => names(Norm::ALL),
        ("[[variant]]", "ffn") => names(FfnKind::ALL),
        ("[[variant]]", "qk_norm") => names(QkNorm::ALL),
        ("[[variant]]", "positions") => names(Positions::ALL),
        ("[[variant]]", "gelu") => names(Gelu::ALL),
        ("[[variant]]", "quantize") => names(QuantBits::ALL),
        ("[[variant]]", "kernel") => names(Kernel::ALL),
        ("[[variant]]", "conv") => ConvKind::NAMES.to_vec(),
        ("[[variant]]", "preset") => names(Preset::ALL),
        ("match", "by") => names(MatchBy::ALL),
        ("match", "solve") => names(SolveDim::ALL),
        _ => return None,
    })
}

/// The field names `T`'s derived `Deserialize` declares (after renames), read by asking it to
/// deserialize from a deserializer that only records what it is asked for.
pub(crate) fn fields_of<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    #[derive(Default)]
    struct Fields(Option<&'static [&'static str]>);

    impl<'de> Deserializer<'de> for &mut Fields {
        type Error = de::value::Error;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not a struct"))
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            _visitor: V,
        ) -> Result<V::Value, Self::Error> {
            self.0 = Some(fields);
            Err(de::Error::custom("fields recorded"))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
            ignored_any
        }
    }

    let mut fields = Fields::default();
    // The error is the point: deserializing stops as soon as the fields are recorded.
    let _ = T::deserialize(&mut fields);
    fields.0.unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    /// The families a `[[variant]]` row names: `all`, `transformers` or a list.
    fn families(cell: &str) -> BTreeSet<&'static str> {
        let all: Vec<(&'static str, FamilyKind)> = FamilyKind::IN_SUITE_FILES.to_vec();
        let mut out = BTreeSet::new();
        for word in cell.split(',').map(str::trim) {
            match word {
                "all" => out.extend(all.iter().map(|(n, _)| *n)),
                "transformers" => out.extend(["dense", "moe", "universal", "pruned"]),
                other => {
                    let (name, _) = all
                        .iter()
                        .find(|(n, _)| *n == other)
                        .unwrap_or_else(|| panic!("`{other}` is no family"));
                    out.insert(*name);
                }
            }
        }
        out
    }

    /// The reference tables of docs/suite-files.md: table name -> key -> its row's cells.
    fn documented() -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/suite-files.md");
        let doc = std::fs::read_to_string(path).expect("docs/suite-files.md");
        let reference = &doc[doc.find("\n## Reference").expect("a Reference section")..];
        let mut tables: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
        let mut current = None;
        for line in reference.lines() {
            if let Some(heading) = line.strip_prefix("### ") {
                let name = heading.replace('`', "").to_lowercase();
                tables.entry(name.clone()).or_default();
                current = Some(name);
            } else if let (Some(table), Some(row)) = (&current, line.strip_prefix("| `")) {
                let cells: Vec<String> = row.split(" | ").map(|c| c.to_owned()).collect();
                let key = cells[0].trim_end_matches('`').to_owned();
                let previous = tables.get_mut(table).unwrap().insert(key.clone(), cells);
                assert!(previous.is_none(), "{table}: `{key}` is documented twice");
            }
        }
        tables
    }

    #[test]
    fn the_reference_documents_every_key_the_parser_accepts_and_no_other() {
        let documented = documented();
        let tables = tables();
        assert_eq!(
            documented.keys().collect::<BTreeSet<_>>(),
            tables
                .iter()
                .map(|t| t.name.to_owned())
                .collect::<BTreeSet<_>>()
                .iter()
                .collect(),
            "the reference's tables"
        );
        for table in &tables {
            let accepted: BTreeSet<&str> = table.keys.iter().copied().collect();
            let listed: BTreeSet<&str> =
                documented[table.name].keys().map(String::as_str).collect();
            assert!(
                accepted.len() > 1,
                "{}: the parser's keys were read",
                table.name
            );
            let undocumented: Vec<_> = accepted.difference(&listed).collect();
            let unknown: Vec<_> = listed.difference(&accepted).collect();
            assert!(
                undocumented.is_empty() && unknown.is_empty(),
                "{}: accepted but not documented {undocumented:?}; documented but refused {unknown:?}",
                table.name
            );
        }
    }

    #[test]
    fn every_choice_and_family_is_documented_where_its_key_is() {
        let documented = documented();
        let mut checked = 0;
        for table in tables() {
            for key in table.keys {
                let row = &documented[table.name][*key];
                let text = row.join(" | ");
                if let Some(names) = choices(table.name, key) {
                    for name in names {
                        assert!(
                            text.contains(&format!("`{name}`")),
                            "{} `{key}`: `{name}` is accepted but not documented",
                            table.name
                        );
                        checked += 1;
                    }
                }
                if table.name == "[[variant]]" {
                    let taking: BTreeSet<&str> = FamilyKind::IN_SUITE_FILES
                        .iter()
                        .filter(|(_, kind)| kind.takes_key(key))
                        .map(|(name, _)| *name)
                        .collect();
                    assert_eq!(
                        families(&row[1]),
                        taking,
                        "`{key}`: the families that take it"
                    );
                }
            }
        }
        assert!(checked > 30, "only {checked} choices checked");
    }

    #[test]
    fn the_recorded_keys_are_those_a_suite_file_is_held_to() {
        // A key the introspection reports is accepted, and one it does not is refused: the
        // recorded lists are the parser's, not a copy of them.
        let variant = tables()
            .into_iter()
            .find(|t| t.name == "[[variant]]")
            .unwrap();
        assert!(variant.keys.contains(&"match") && variant.keys.contains(&"n_experts"));
        let suite = |extra: &str| {
            format!(
                "[suite]\nname = \"s\"\nbatch = 1\nseq_len = 8\nvocab = 64\nbaseline = \"a\"\n\
                 [[variant]]\nname = \"a\"\nfamily = \"dense\"\nd_model = 32\nn_heads = 4\n\
                 d_ff = 64\nn_layers = 1\n{extra}"
            )
        };
        assert!(crate::spec::parse_suite(&suite(""), "s.toml").is_ok());
        let err = crate::spec::parse_suite(&suite("not_a_key = 1\n"), "s.toml").unwrap_err();
        assert!(err.to_string().contains("not_a_key"), "{err}");
    }
}
