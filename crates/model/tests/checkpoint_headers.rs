//! safetensors headers read without their weights: counts by dtype against the shapes written,
//! sharded checkpoints through their index, and every corruption named with its file and
//! tensor, never a panic.

use std::path::{Path, PathBuf};

use effprof_model::checkpoint::{read_checkpoint, read_header};

/// A fresh folder for one test.
fn folder(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("effprof-ckpt-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A safetensors file of `tensors` (name, dtype, shape, bytes per element), laid out in order,
/// with `data` bytes of zeros after the header.
fn safetensors(tensors: &[(&str, &str, &[u64], u64)]) -> Vec<u8> {
    let mut offset = 0;
    let mut entries = vec!["\"__metadata__\": {\"format\": \"pt\"}".to_owned()];
    for (name, dtype, shape, size) in tensors {
        let bytes = shape.iter().product::<u64>() * size;
        entries.push(format!(
            "\"{name}\": {{\"dtype\": \"{dtype}\", \"shape\": {shape:?}, \"data_offsets\": [{offset}, {}]}}",
            offset + bytes
        ));
        offset += bytes;
    }
    let header = format!("{{{}}}", entries.join(", "));
    let mut file = (header.len() as u64).to_le_bytes().to_vec();
    file.extend(header.as_bytes());
    file.extend(std::iter::repeat_n(0u8, offset as usize));
    file
}

const LAYERS: &[(&str, &str, &[u64], u64)] = &[
    ("embed.weight", "BF16", &[100, 16], 2),
    ("layer.0.q.weight", "BF16", &[16, 16], 2),
    ("layer.0.q.scale", "F32", &[16], 4),
    ("layer.0.up.weight", "I8", &[64, 16], 1),
    ("norm.weight", "F32", &[16], 4),
];

#[test]
fn a_header_gives_each_dtypes_parameters_and_bytes() {
    let dir = folder("one");
    let file = dir.join("model.safetensors");
    std::fs::write(&file, safetensors(LAYERS)).unwrap();
    for path in [file.as_path(), dir.as_path()] {
        let c = read_checkpoint(path).unwrap();
        assert_eq!(c.tensors.len(), 5);
        assert_eq!(c.params(), 1600 + 256 + 16 + 1024 + 16);
        assert_eq!(c.bytes(), 2 * 1856 + 4 * 32 + 1024);
        let by: Vec<(String, usize, u64, u64)> = c
            .by_dtype()
            .into_iter()
            .map(|d| (d.dtype, d.tensors, d.params, d.bytes))
            .collect();
        assert_eq!(
            by,
            [
                ("BF16".to_owned(), 2, 1856, 3712),
                ("I8".to_owned(), 1, 1024, 1024),
                ("F32".to_owned(), 2, 32, 128)
            ]
        );
        // In the order of their data.
        assert_eq!(c.tensors[0].name, "embed.weight");
        assert_eq!(c.tensors[4].name, "norm.weight");
    }
}

#[test]
fn a_sharded_checkpoint_is_read_through_its_index() {
    let dir = folder("sharded");
    std::fs::write(dir.join("a.safetensors"), safetensors(&LAYERS[..2])).unwrap();
    std::fs::write(dir.join("b.safetensors"), safetensors(&LAYERS[2..])).unwrap();
    let map: Vec<String> = LAYERS
        .iter()
        .enumerate()
        .map(|(i, (n, ..))| {
            format!(
                "\"{n}\": \"{}\"",
                if i < 2 {
                    "a.safetensors"
                } else {
                    "b.safetensors"
                }
            )
        })
        .collect();
    let index = format!(
        "{{\"metadata\": {{}}, \"weight_map\": {{{}}}}}",
        map.join(", ")
    );
    std::fs::write(dir.join("model.safetensors.index.json"), &index).unwrap();
    let c = read_checkpoint(&dir).unwrap();
    assert_eq!(c.files.len(), 2);
    assert_eq!(c.params(), 1600 + 256 + 16 + 1024 + 16);
    // A tensor the index puts in a shard that lacks it.
    let wrong = index.replace(
        "\"norm.weight\": \"b.safetensors\"",
        "\"norm.weight\": \"a.safetensors\"",
    );
    std::fs::write(dir.join("model.safetensors.index.json"), wrong).unwrap();
    let e = read_checkpoint(&dir).unwrap_err();
    assert_eq!(e.tensor.as_deref(), Some("norm.weight"));
    assert!(e.file.ends_with("a.safetensors"), "{e}");
    // A shard outside the folder.
    let outside = index.replace("\"b.safetensors\"", "\"../b.safetensors\"");
    std::fs::write(dir.join("model.safetensors.index.json"), outside).unwrap();
    assert!(
        read_checkpoint(&dir)
            .unwrap_err()
            .message
            .contains("beside the index")
    );
    // A missing shard.
    std::fs::remove_file(dir.join("b.safetensors")).unwrap();
    std::fs::write(dir.join("model.safetensors.index.json"), &index).unwrap();
    let e = read_checkpoint(&dir).unwrap_err();
    assert!(
        e.file.ends_with("b.safetensors") && e.message.contains("cannot open"),
        "{e}"
    );
}

fn error_of(bytes: &[u8], dir: &Path) -> String {
    let file = dir.join("bad.safetensors");
    std::fs::write(&file, bytes).unwrap();
    let e = read_header(&file).unwrap_err();
    assert!(e.file.ends_with("bad.safetensors"));
    e.to_string()
}

#[test]
fn each_corruption_names_the_file_and_the_tensor() {
    let dir = folder("corrupt");
    let good = safetensors(LAYERS);
    // Truncated: the header says more than the file holds, or the data stops short.
    assert!(error_of(&good[..4], &dir).contains("too short"));
    assert!(error_of(&good[..40], &dir).contains("truncated"));
    let e = error_of(&good[..good.len() - 1], &dir);
    assert!(
        e.contains("tensor `norm.weight`") && e.contains("truncated"),
        "{e}"
    );
    // The file with a same-length edit of its header.
    let edited = |from: &str, to: &str| {
        assert_eq!(from.len(), to.len());
        let header = String::from_utf8(good[8..].to_vec()).unwrap();
        assert!(header.contains(from), "{from}");
        let mut bytes = good[..8].to_vec();
        bytes.extend(header.replacen(from, to, 1).into_bytes());
        bytes
    };
    // A shape that does not match its bytes.
    let e = error_of(&edited("[64, 16]", "[64, 17]"), &dir);
    assert!(
        e.contains("layer.0.up.weight") && e.contains("1088 bytes"),
        "{e}"
    );
    // An unknown dtype.
    let e = error_of(&edited("\"I8\"", "\"Q4\""), &dir);
    assert!(e.contains("unknown dtype `Q4`"), "{e}");
    // Two tensors over the same bytes.
    let e = error_of(&edited("[3712, 3776]", "[3700, 3764]"), &dir);
    assert!(
        e.contains("overlaps") && e.contains("layer.0.q.scale"),
        "{e}"
    );
    // Not JSON.
    let mut junk = 4u64.to_le_bytes().to_vec();
    junk.extend(b"{{{{");
    assert!(error_of(&junk, &dir).contains("not JSON"));
}

/// A small deterministic generator: the same mutations on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[test]
fn mutated_files_are_refused_with_their_name_never_a_panic() {
    let dir = folder("mutated");
    let good = safetensors(LAYERS);
    let header_end = 8 + u64::from_le_bytes(good[..8].try_into().unwrap()) as usize;
    let mut rng = Lcg(7);
    let file = dir.join("m.safetensors");
    for trial in 0..2000 {
        let mut bytes = good.clone();
        match trial % 4 {
            // A byte of the header changed.
            0 | 1 => {
                let at = rng.next() as usize % header_end;
                bytes[at] = rng.next() as u8;
            }
            // Cut anywhere.
            2 => bytes.truncate(rng.next() as usize % bytes.len()),
            // A digit of the header replaced by another.
            _ => {
                let digits: Vec<usize> = (8..header_end)
                    .filter(|i| bytes[*i].is_ascii_digit())
                    .collect();
                let at = digits[rng.next() as usize % digits.len()];
                bytes[at] = b'0' + (rng.next() % 10) as u8;
            }
        }
        std::fs::write(&file, &bytes).unwrap();
        match read_header(&file) {
            Ok(tensors) => {
                // What is accepted adds up within the file.
                let data: u64 = tensors.iter().map(|t| t.bytes).sum();
                assert!(data <= bytes.len() as u64, "trial {trial}");
            }
            Err(e) => assert!(e.file.ends_with("m.safetensors"), "trial {trial}: {e}"),
        }
    }
}
