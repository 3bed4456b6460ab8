//! The snapshot's own plots as SVG: the paper's scatter of cost indicators against measured
//! speed, and every indicator relative to the baseline.

mod relative;
mod scatter;

pub use relative::relative_svg;
pub use scatter::scatter_svg;
