//! PNG plots of a [`RunRecord`]: the pools' deviation from the oracle per L2
//! block against the §16 peg band, and the reserve headroom per asset.
//!
//! Drawing is done by `plotters` into an in-memory RGB buffer and encoded
//! with the `png` crate; nothing here touches fontconfig or the system's
//! fonts. Text is rasterised by `ab_glyph` from Noto Sans Regular, embedded
//! at compile time from the `ttf-noto-sans` crate (crate code MIT/Apache-2.0,
//! the font file Apache-2.0 as shipped in that crate), and registered with
//! plotters under the family name `sans-serif` on first use.
//!
//! Choices, for the reader of the plots:
//! - An empty record (no blocks) still gives both PNGs: the title and the
//!   line "no blocks recorded", at the usual size. [`write_plots`] fails only
//!   on I/O, font, drawing or encoding errors.
//! - Long runs are downsampled per series to at most [`MAX_POINTS`] points,
//!   keeping each bucket's minimum and maximum ([`downsample_min_max`]), so
//!   a one-block spike stays visible in a 14,400-block run.
//! - Non-finite values (NaN, ±inf) are not drawn: a series is cut there and
//!   goes on after the gap; they do not widen the axes. A value missing
//!   because a block's vector is shorter than `pools`/`reserves` counts as a
//!   gap too.
//! - Event markers: a trade is a small triangle on its pool's line, an attack
//!   a red cross on its pool's line, a drain a translucent red vertical line.
//!   Markers whose pool index or block is not in the record, or whose value
//!   there is non-finite, are left out (drains still get their line). Past
//!   [`MAX_MARKERS`] of one kind, every k-th is kept.

use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

use crate::record::{EventKind, RunRecord};

/// Width of every plot, in pixels.
pub const WIDTH: u32 = 1600;
/// Height of every plot, in pixels.
pub const HEIGHT: u32 = 900;
/// At most this many points are drawn per series (see [`downsample_min_max`]).
pub const MAX_POINTS: usize = 2_000;
/// At most this many markers of one event kind are drawn per plot.
pub const MAX_MARKERS: usize = 2_000;
/// The §16 peg band: ±0.10% = ±10 bps around the oracle.
pub const PEG_BAND_BPS: f64 = 10.0;
/// File name of the deviation plot inside the output directory.
pub const DEVIATION_FILE: &str = "deviation.png";
/// File name of the reserve headroom plot inside the output directory.
pub const RESERVES_FILE: &str = "reserves.png";

/// The font family the embedded font is registered under (plotters' name
/// for [`FontFamily::SansSerif`], so every default text style finds it).
const FONT_FAMILY: &str = "sans-serif";

/// Line colours for the series, in order (no red: red marks attacks).
const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(23, 190, 207),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

/// The colour of attack and drain markers.
const ALERT: RGBColor = RGBColor(214, 39, 40);

/// Why [`write_plots`] failed.
#[derive(Debug)]
pub enum PlotError {
    /// Creating the output directory or writing a file failed.
    Io {
        /// The directory or file concerned.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The embedded font could not be parsed (a build problem, not input).
    Font,
    /// plotters failed while drawing a plot.
    Draw {
        /// The plot's file name.
        file: &'static str,
        /// plotters' description of the failure.
        message: String,
    },
    /// The PNG encoder failed.
    Encode {
        /// The file being written.
        path: PathBuf,
        /// The encoder's description of the failure.
        message: String,
    },
}

impl fmt::Display for PlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, source } => write!(f, "plot I/O on {}: {source}", path.display()),
            Self::Font => f.write_str("the embedded plot font could not be parsed"),
            Self::Draw { file, message } => write!(f, "drawing {file} failed: {message}"),
            Self::Encode { path, message } => {
                write!(f, "encoding {} as PNG failed: {message}", path.display())
            }
        }
    }
}

impl std::error::Error for PlotError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Writes [`DEVIATION_FILE`] and [`RESERVES_FILE`] for `record` into `dir`
/// (created if missing), each [`WIDTH`] x [`HEIGHT`] RGB, and returns their
/// paths in that order. Existing files of those names are replaced.
///
/// # Errors
/// [`PlotError`] if the directory or a file cannot be written, the embedded
/// font is unusable, plotters fails, or PNG encoding fails. An empty record
/// is not an error (see the module docs).
pub fn write_plots(record: &RunRecord, dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    ensure_font()?;
    fs::create_dir_all(dir).map_err(|source| PlotError::Io { path: dir.to_path_buf(), source })?;
    let deviation = dir.join(DEVIATION_FILE);
    let pixels = render(DEVIATION_FILE, |root| draw_deviation(record, root))?;
    write_png(&deviation, &pixels)?;
    let reserves = dir.join(RESERVES_FILE);
    let pixels = render(RESERVES_FILE, |root| draw_reserves(record, root))?;
    write_png(&reserves, &pixels)?;
    Ok(vec![deviation, reserves])
}

/// Reduces `points` (ordered by x) to at most `max_points` points (at least
/// 2 are allowed) by cutting them into equal buckets of consecutive points
/// and keeping, per bucket, the point with the smallest and the one with the
/// largest y, in their original order. The global minimum and maximum are
/// therefore always kept. Points with a non-finite coordinate are dropped
/// first; input already short enough is returned as is (less those).
pub fn downsample_min_max(points: &[(f64, f64)], max_points: usize) -> Vec<(f64, f64)> {
    let finite: Vec<(f64, f64)> =
        points.iter().copied().filter(|(x, y)| x.is_finite() && y.is_finite()).collect();
    let max_points = max_points.max(2);
    if finite.len() <= max_points {
        return finite;
    }
    let buckets = max_points / 2;
    let size = finite.len().div_ceil(buckets);
    let mut out = Vec::with_capacity(max_points);
    for chunk in finite.chunks(size) {
        let (mut lo, mut hi) = (0, 0);
        for (i, p) in chunk.iter().enumerate() {
            if p.1 < chunk[lo].1 {
                lo = i;
            }
            if p.1 > chunk[hi].1 {
                hi = i;
            }
        }
        let (first, second) = (lo.min(hi), lo.max(hi));
        out.push(chunk[first]);
        if second != first {
            out.push(chunk[second]);
        }
    }
    out
}

/// Registers the embedded font once per process.
fn ensure_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED
        .get_or_init(|| register_font(FONT_FAMILY, FontStyle::Normal, ttf_noto_sans::REGULAR).is_ok());
    if ok {
        Ok(())
    } else {
        Err(PlotError::Font)
    }
}

/// The backend type every plot is drawn on.
type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;
/// A drawing failure, already turned into its message.
type DrawResult = Result<(), String>;

/// Draws one plot into a fresh white RGB buffer and returns the buffer.
fn render(file: &'static str, draw: impl FnOnce(&Area<'_>) -> DrawResult) -> Result<Vec<u8>, PlotError> {
    let mut buf = vec![255_u8; WIDTH as usize * HEIGHT as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string()).and_then(|()| {
            draw(&root)?;
            root.present().map_err(|e| e.to_string())
        })
    }
    .map_err(|message| PlotError::Draw { file, message })?;
    Ok(buf)
}

/// Encodes an RGB buffer of [`WIDTH`] x [`HEIGHT`] as PNG at `path`, through
/// a temporary file renamed into place.
fn write_png(path: &Path, rgb: &[u8]) -> Result<(), PlotError> {
    let tmp = path.with_extension("png.tmp");
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PlotError::Io { path, source }
    };
    let enc_err =
        |e: png::EncodingError| PlotError::Encode { path: path.to_path_buf(), message: e.to_string() };
    let file = fs::File::create(&tmp).map_err(io_err(&tmp))?;
    let mut encoder = png::Encoder::new(BufWriter::new(file), WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(enc_err)?;
    writer.write_image_data(rgb).map_err(enc_err)?;
    writer.finish().map_err(enc_err)?;
    fs::rename(&tmp, path).map_err(io_err(path))
}

fn text_err<E: fmt::Display>(e: E) -> String {
    e.to_string()
}

/// The whole plot when there is nothing to draw: title and a note.
fn draw_empty(root: &Area<'_>, title: &str) -> DrawResult {
    let area = root.margin(16, 16, 16, 16).titled(title, (FONT_FAMILY, 32)).map_err(text_err)?;
    let (w, h) = area.dim_in_pixel();
    let style = TextStyle::from((FONT_FAMILY, 24)).color(&BLACK).pos(plotters::style::text_anchor::Pos::new(
        plotters::style::text_anchor::HPos::Center,
        plotters::style::text_anchor::VPos::Center,
    ));
    let (x, y) = (i32::try_from(w / 2).unwrap_or(0), i32::try_from(h / 2).unwrap_or(0));
    area.draw_text("no blocks recorded", &style, (x, y)).map_err(text_err)
}

/// One series' points, cut at non-finite values into runs of finite points,
/// each run downsampled so the whole series keeps at most about
/// [`MAX_POINTS`] points.
fn series_runs(points: impl Iterator<Item = (f64, f64)>) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current = Vec::new();
    for (x, y) in points {
        if x.is_finite() && y.is_finite() {
            current.push((x, y));
        } else if !current.is_empty() {
            runs.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        runs.push(current);
    }
    let total: usize = runs.iter().map(Vec::len).sum();
    runs.into_iter()
        .map(|run| {
            let budget = (MAX_POINTS * run.len() / total.max(1)).max(2);
            downsample_min_max(&run, budget)
        })
        .collect()
}

/// The x axis range over the record's blocks (never empty).
fn x_range(record: &RunRecord) -> std::ops::Range<f64> {
    let lo = record.blocks.iter().map(|b| b.block).min().unwrap_or(0) as f64;
    let hi = record.blocks.iter().map(|b| b.block).max().unwrap_or(0) as f64;
    if hi - lo < 1.0 {
        (lo - 0.5)..(hi + 0.5)
    } else {
        lo..hi
    }
}

/// A y range covering the finite values of `runs` and the `always` values,
/// padded by 5% (never empty).
fn y_range(runs: &[Vec<Vec<(f64, f64)>>], always: &[f64]) -> std::ops::Range<f64> {
    let ys =
        runs.iter().flatten().flatten().map(|p| p.1).chain(always.iter().copied()).filter(|y| y.is_finite());
    let (lo, hi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), y| (lo.min(y), hi.max(y)));
    if !lo.is_finite() || !hi.is_finite() {
        return -1.0..1.0;
    }
    let pad = ((hi - lo) * 0.05).max(1e-9 + hi.abs().max(lo.abs()) * 1e-6);
    (lo - pad)..(hi + pad)
}

/// Keeps every k-th item so that at most [`MAX_MARKERS`] remain.
fn thin<T>(items: Vec<T>) -> Vec<T> {
    if items.len() <= MAX_MARKERS {
        return items;
    }
    let step = items.len().div_ceil(MAX_MARKERS);
    items.into_iter().step_by(step).collect()
}

fn pool_label(record: &RunRecord, i: usize) -> String {
    record.pools.get(i).cloned().unwrap_or_else(|| format!("pool {i}"))
}

/// Per series `0..count`, its runs of `(block, value)` points
/// ([`series_runs`]); a block without a value for the series is a gap.
fn runs_of(
    record: &RunRecord,
    count: usize,
    value: impl Fn(&crate::record::BlockRecord, usize) -> Option<f64>,
) -> Vec<Vec<Vec<(f64, f64)>>> {
    (0..count)
        .map(|i| series_runs(record.blocks.iter().map(|b| (b.block as f64, value(b, i).unwrap_or(f64::NAN)))))
        .collect()
}

/// The chart both plots share: title, axes over the run's blocks and `yr`,
/// the mesh with `y_desc` and `y_decimals` on the y labels.
fn chart<'a, 'b>(
    root: &'a Area<'b>,
    title: &str,
    yr: std::ops::Range<f64>,
    y_desc: &str,
    y_decimals: usize,
    record: &RunRecord,
) -> Result<Chart<'a, 'b>, String> {
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT_FAMILY, 32))
        .margin(16)
        .x_label_area_size(56)
        .y_label_area_size(84)
        .build_cartesian_2d(x_range(record), yr)
        .map_err(text_err)?;
    chart
        .configure_mesh()
        .x_desc("L2 block")
        .y_desc(y_desc)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y:.y_decimals$}"))
        .label_style((FONT_FAMILY, 16))
        .axis_desc_style((FONT_FAMILY, 20))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(text_err)?;
    Ok(chart)
}

/// Draws each series' runs in its palette colour, `width` pixels wide, with
/// its legend entry `label(i)`.
fn draw_lines(
    chart: &mut Chart<'_, '_>,
    runs: &[Vec<Vec<(f64, f64)>>],
    width: u32,
    label: impl Fn(usize) -> String,
) -> DrawResult {
    for (i, series) in runs.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        chart
            .draw_series(std::iter::empty::<PathElement<(f64, f64)>>())
            .map_err(text_err)?
            .label(label(i))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
        for run in series {
            chart
                .draw_series(LineSeries::new(run.iter().copied(), color.stroke_width(width)))
                .map_err(text_err)?;
        }
    }
    Ok(())
}

/// A dashed horizontal line at `level` across the run, with a legend entry
/// when `label` is given.
fn draw_level(chart: &mut Chart<'_, '_>, level: f64, style: ShapeStyle, label: Option<String>) -> DrawResult {
    let (x0, x1) = {
        let xr = chart.x_range();
        (xr.start, xr.end)
    };
    let anno = chart
        .draw_series(DashedLineSeries::new([(x0, level), (x1, level)], 8, 6, style))
        .map_err(text_err)?;
    if let Some(label) = label {
        anno.label(label).legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
    }
    Ok(())
}

/// The legend box, upper right.
fn draw_legend<'a, 'b: 'a>(chart: &mut Chart<'a, 'b>) -> DrawResult {
    chart
        .configure_series_labels()
        .label_font((FONT_FAMILY, 16))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(text_err)
}

/// Draws the deviation plot.
fn draw_deviation(record: &RunRecord, root: &Area<'_>) -> DrawResult {
    let title = format!("{}: deviation from oracle per L2 block", record.scenario);
    if record.blocks.is_empty() {
        return draw_empty(root, &title);
    }
    let runs = runs_of(record, record.pools.len(), |b, i| b.deviation_bps.get(i).copied());
    let yr = y_range(&runs, &[-PEG_BAND_BPS * 1.5, PEG_BAND_BPS * 1.5]);
    let (y0, y1) = (yr.start, yr.end);
    let mut chart = chart(root, &title, yr, "deviation from oracle (bps)", 1, record)?;
    draw_lines(&mut chart, &runs, 1, |i| pool_label(record, i))?;
    let band_style = BLACK.mix(0.7).stroke_width(1);
    draw_level(&mut chart, PEG_BAND_BPS, band_style, Some(format!("±{PEG_BAND_BPS:.0} bps peg band (§16)")))?;
    draw_level(&mut chart, -PEG_BAND_BPS, band_style, None)?;
    draw_events(record, &mut chart, (y0, y1))?;
    draw_legend(&mut chart)
}

type Chart<'a, 'b> = ChartContext<
    'a,
    BitMapBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// Draws the trade, attack and drain markers of the deviation plot.
fn draw_events(record: &RunRecord, chart: &mut Chart<'_, '_>, (y0, y1): (f64, f64)) -> DrawResult {
    let index: HashMap<u64, usize> = record.blocks.iter().enumerate().map(|(i, b)| (b.block, i)).collect();
    let value_at = |block: u64, pool: usize| -> Option<(f64, f64)> {
        let b = &record.blocks[*index.get(&block)?];
        let y = *b.deviation_bps.get(pool)?;
        y.is_finite().then_some((block as f64, y))
    };
    let of_kind = |kind: EventKind| record.events.iter().filter(move |e| e.kind == kind);

    let trades: Vec<((f64, f64), RGBColor)> = thin(
        of_kind(EventKind::Trade)
            .filter(|e| e.pool < record.pools.len())
            .filter_map(|e| Some((value_at(e.block, e.pool)?, PALETTE[e.pool % PALETTE.len()])))
            .collect(),
    );
    if !trades.is_empty() {
        chart
            .draw_series(trades.iter().map(|&(p, c)| TriangleMarker::new(p, 4, c.filled())))
            .map_err(text_err)?
            .label("trade (Stabilizer correction)")
            .legend(|(x, y)| TriangleMarker::new((x + 10, y), 5, BLACK.filled()));
    }

    let drains: Vec<f64> = thin(of_kind(EventKind::Drain).map(|e| e.block as f64).collect());
    if !drains.is_empty() {
        let style = ALERT.mix(0.5).stroke_width(2);
        chart
            .draw_series(drains.iter().map(|&x| PathElement::new(vec![(x, y0), (x, y1)], style)))
            .map_err(text_err)?
            .label("drain")
            .legend(move |(x, y)| PathElement::new(vec![(x + 10, y - 7), (x + 10, y + 7)], style));
    }

    let attacks: Vec<(f64, f64)> =
        thin(of_kind(EventKind::Attack).filter_map(|e| value_at(e.block, e.pool)).collect());
    if !attacks.is_empty() {
        let style = ALERT.stroke_width(2);
        chart
            .draw_series(attacks.iter().map(|&p| Cross::new(p, 5, style)))
            .map_err(text_err)?
            .label("attack")
            .legend(move |(x, y)| Cross::new((x + 10, y), 5, style));
    }
    Ok(())
}

/// Draws the reserve headroom plot.
fn draw_reserves(record: &RunRecord, root: &Area<'_>) -> DrawResult {
    let title = format!("{}: reserve headroom (held / required)", record.scenario);
    if record.blocks.is_empty() {
        return draw_empty(root, &title);
    }
    let runs = runs_of(record, record.reserves.len(), |b, i| b.reserve_headroom.get(i).copied());
    let yr = y_range(&runs, &[1.0]);
    let mut chart = chart(root, &title, yr, "reserve headroom (held / required)", 3, record)?;
    draw_lines(&mut chart, &runs, 2, |i| {
        record.reserves.get(i).cloned().unwrap_or_else(|| format!("reserve {i}"))
    })?;
    draw_level(
        &mut chart,
        1.0,
        ALERT.mix(0.8).stroke_width(1),
        Some("1.0 = exactly the required reserve".to_owned()),
    )?;
    draw_legend(&mut chart)
}

#[cfg(test)]
// `..BlockRecord::default()` keeps the tests building as the record grows
// fields the plots do not use.
#[allow(clippy::needless_update)]
mod tests {
    use super::*;
    use crate::record::{BlockRecord, EventRecord};

    /// A fresh, unique directory under the system's temp dir.
    fn temp_dir(tag: &str) -> PathBuf {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        std::env::temp_dir().join(format!("vault-sim-plot-{tag}-{}-{nanos}-{n}", std::process::id()))
    }

    /// A run of `n` blocks over two pools and two reserve assets, with a
    /// trade every 50 blocks, one attack spike and one drain.
    fn synthetic(n: u64) -> RunRecord {
        let spike = n / 2;
        let blocks = (0..n)
            .map(|b| {
                let t = b as f64 / 40.0;
                let mut dev_a = 6.0 * t.sin();
                if b == spike {
                    dev_a = 480.0;
                }
                BlockRecord {
                    block: 1_000 + b,
                    deviation_bps: vec![dev_a, -4.0 * (t * 0.7).cos()],
                    reserve_headroom: vec![1.4 - 0.5 * (b as f64 / n as f64), 2.0],
                    ..BlockRecord::default()
                }
            })
            .collect();
        let mut events: Vec<EventRecord> = (0..n)
            .step_by(50)
            .map(|b| EventRecord {
                block: 1_000 + b,
                pool: usize::from(b % 100 == 0),
                kind: EventKind::Trade,
                label: "sell 25000 cUSDT".into(),
            })
            .collect();
        events.push(EventRecord {
            block: 1_000 + spike,
            pool: 0,
            kind: EventKind::Attack,
            label: "flash loan".into(),
        });
        events.push(EventRecord {
            block: 1_000 + n / 4,
            pool: 1,
            kind: EventKind::Drain,
            label: "drain 1M cUSDC".into(),
        });
        RunRecord {
            scenario: "synthetic".into(),
            pools: vec!["cUSDT/cUSDC".into(), "cUSDC/cDAI".into()],
            reserves: vec!["cUSDT".into(), "cUSDC".into()],
            blocks,
            events,
        }
    }

    /// Checks the PNG signature and returns (width, height) from IHDR.
    fn png_dimensions(path: &Path) -> (u32, u32) {
        let bytes = fs::read(path).expect("read png");
        assert!(bytes.len() > 33, "{} is too short", path.display());
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
        assert_eq!(&bytes[8..12], &13_u32.to_be_bytes(), "IHDR length");
        assert_eq!(&bytes[12..16], b"IHDR", "first chunk is IHDR");
        let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
        let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
        (w, h)
    }

    /// Counts the dark pixels in the top `rows` rows (where the title is).
    fn dark_pixels_on_top(path: &Path, rows: usize) -> usize {
        let decoder = png::Decoder::new(io::BufReader::new(fs::File::open(path).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb);
        buf[..rows * WIDTH as usize * 3].chunks(3).filter(|px| px.iter().all(|&c| c < 100)).count()
    }

    fn check_outputs(paths: &[PathBuf], dir: &Path) {
        assert_eq!(paths, &[dir.join(DEVIATION_FILE), dir.join(RESERVES_FILE)]);
        for p in paths {
            assert!(p.is_file(), "{} missing", p.display());
            assert_eq!(png_dimensions(p), (WIDTH, HEIGHT), "{}", p.display());
            assert!(dark_pixels_on_top(p, 60) > 100, "no title text drawn in {}", p.display());
        }
    }

    #[test]
    fn writes_both_pngs_with_expected_dimensions() {
        let dir = temp_dir("basic");
        let paths = write_plots(&synthetic(600), &dir).expect("plots");
        check_outputs(&paths, &dir);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn empty_record_still_gives_titled_pngs() {
        let dir = temp_dir("empty");
        let record = RunRecord { scenario: "empty".into(), ..RunRecord::default() };
        let paths = write_plots(&record, &dir).expect("plots");
        check_outputs(&paths, &dir);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn long_run_of_20k_blocks_works() {
        let dir = temp_dir("long");
        let record = synthetic(20_000);
        let paths = write_plots(&record, &dir).expect("plots");
        check_outputs(&paths, &dir);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn non_finite_and_ragged_values_are_tolerated() {
        let dir = temp_dir("nonfinite");
        let mut record = synthetic(300);
        record.blocks[10].deviation_bps[0] = f64::NAN;
        record.blocks[11].deviation_bps[1] = f64::INFINITY;
        record.blocks[12].reserve_headroom[0] = f64::NEG_INFINITY;
        record.blocks[13].deviation_bps.clear();
        record.blocks[14].reserve_headroom.truncate(1);
        record.events.push(EventRecord {
            block: 1_010,
            pool: 0,
            kind: EventKind::Attack,
            label: "at a NaN".into(),
        });
        record.events.push(EventRecord {
            block: 99_999,
            pool: 7,
            kind: EventKind::Trade,
            label: "unknown block and pool".into(),
        });
        let paths = write_plots(&record, &dir).expect("plots");
        check_outputs(&paths, &dir);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn single_block_and_all_nan_series() {
        let dir = temp_dir("single");
        let record = RunRecord {
            scenario: "one".into(),
            pools: vec!["p".into()],
            reserves: vec!["r".into()],
            blocks: vec![BlockRecord {
                block: 7,
                deviation_bps: vec![f64::NAN],
                reserve_headroom: vec![1.0],
                ..BlockRecord::default()
            }],
            events: vec![],
        };
        let paths = write_plots(&record, &dir).expect("plots");
        check_outputs(&paths, &dir);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn downsampling_keeps_extremes_and_bounds_count() {
        let n = 14_400;
        let mut points: Vec<(f64, f64)> =
            (0..n).map(|i| (f64::from(i), (f64::from(i) / 100.0).sin())).collect();
        points[1_234].1 = 900.0; // one-block spike up
        points[9_876].1 = -750.0; // and down
        points[5_000].1 = f64::NAN; // dropped, not kept
        let out = downsample_min_max(&points, MAX_POINTS);
        assert!(out.len() <= MAX_POINTS, "{} points", out.len());
        assert!(out.len() >= MAX_POINTS / 2);
        assert!(out.contains(&(1_234.0, 900.0)));
        assert!(out.contains(&(9_876.0, -750.0)));
        assert!(out.iter().all(|p| p.1.is_finite()));
        assert!(out.windows(2).all(|w| w[0].0 < w[1].0), "x order kept");
        // every bucket's extremes: the max over any x window of the input is
        // matched by a kept point in the bucket containing it
        let max_in = points.iter().filter(|p| p.1.is_finite()).map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
        let max_out = out.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
        assert!((max_in - max_out).abs() < f64::EPSILON);
    }

    #[test]
    fn downsampling_short_input_is_unchanged() {
        let points = vec![(0.0, 1.0), (1.0, -1.0), (2.0, 3.0)];
        assert_eq!(downsample_min_max(&points, 10), points);
        assert_eq!(downsample_min_max(&[], 10), vec![]);
        // a budget below 2 is raised to 2: the min and max
        let out = downsample_min_max(&points, 0);
        assert_eq!(out, vec![(1.0, -1.0), (2.0, 3.0)]);
    }

    #[test]
    fn error_display_names_the_problem() {
        let e = PlotError::Draw { file: DEVIATION_FILE, message: "boom".into() };
        assert_eq!(e.to_string(), "drawing deviation.png failed: boom");
        assert!(PlotError::Font.to_string().contains("font"));
    }
}
