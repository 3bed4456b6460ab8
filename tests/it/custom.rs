//! Your own model through `effprof::custom`: counted by burn and from its recorded forward
//! pass, timed, and its analytic rows saying why they are missing.

use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use effprof::backend::Backend;
use effprof::custom::Profile;
use effprof::report::Cell;
use effprof::traced::Traced;

#[derive(Module, Debug)]
struct Tiny {
    layer: Linear,
}

#[test]
fn an_own_model_is_counted_traced_and_timed() {
    let mut profile = Profile::new("tiny");
    profile
        .variant(
            "linear",
            |d| Tiny {
                layer: LinearConfig::new(8, 16).init(d),
            },
            |d| Tensor::<2>::ones([3, 8], d),
            |m, x| m.layer.forward(x),
        )
        .variant(
            // Its forward pass reads a value back to the host: it can be timed, not recorded.
            "reads-back",
            |d| Tiny {
                layer: LinearConfig::new(8, 16).init(d),
            },
            |d| Tensor::<2>::ones([3, 8], d),
            |m, x| {
                let y = m.layer.forward(x);
                let scale: f32 = y.clone().sum().into_scalar();
                y.mul_scalar(scale)
            },
        );
    let report = profile
        .run(Backend::Ndarray, std::time::Duration::from_millis(5))
        .unwrap();
    let linear = &report.variants[0];
    // Linear(8, 16) with a bias: 8·16 + 16 parameters; 2·3·8·16 FLOPs (the bias add is not
    // counted, by torch's rule); the matmul reads [3, 8] and [8, 16] and writes [3, 16].
    assert_eq!(linear.params, 8 * 16 + 16);
    let Traced::Counted(c) = &linear.traced else {
        panic!("{:?}", linear.traced)
    };
    assert_eq!(c.flops, 2 * 3 * 8 * 16);
    let matmul = c.kind("matmul").unwrap();
    assert_eq!(matmul.bytes_read, 4 * (3 * 8 + 8 * 16));
    assert_eq!(matmul.bytes_written, 4 * 3 * 16);
    // Nothing of the initialisation is in the pass: no drawing of random weights.
    assert!(c.kind("random").is_none(), "{c:?}");
    assert!(linear.timed.timed().unwrap().p50_s > 0.0);
    assert!(linear.timed.timed().unwrap().samples_per_s > 0.0);

    let back = &report.variants[1];
    match &back.traced {
        Traced::NotAvailable { why } => assert!(why.contains("reads values back"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert!(back.timed.timed().is_some());

    let table = report.table();
    let row = |key: &str| table.rows.iter().find(|r| r.key == key).unwrap();
    assert!(
        matches!(&row("flops_executed").cells[0], Cell::NotAvailable(why) if why == "not a built-in family")
    );
    assert!(matches!(
        &row("flops_traced").cells[1],
        Cell::NotAvailable(_)
    ));
    let text = table.to_text(None);
    assert!(text.contains("n/a: not a built-in family"), "{text}");
}
