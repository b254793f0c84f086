//! The byte shuffle a bundle's weights are stored with, so that gzip (the page fetches bundles
//! gzipped) finds what repeats: HDF5's and Blosc's shuffle filter. Values `width` bytes wide are
//! stored as `width` planes: every value's first byte, then every value's second byte, and so on.
//! The high byte of an f16 (sign, exponent, top of the mantissa) varies little across a layer and
//! compresses to about 70 %; the low byte is close to noise. MobileNetV2 in f16: 6.68 MB gzipped
//! as burnpack, 6.25 MB shuffled. A tail shorter than `width` bytes stays as it is, so any length
//! round-trips.

/// `bytes` as `width` planes (see the module's documentation); `width` 1 copies.
pub fn shuffle(bytes: &[u8], width: usize) -> Vec<u8> {
    let width = width.max(1);
    let whole = bytes.len() - bytes.len() % width;
    let mut out = Vec::with_capacity(bytes.len());
    for plane in 0..width {
        out.extend(bytes[..whole].iter().skip(plane).step_by(width));
    }
    out.extend_from_slice(&bytes[whole..]);
    out
}

/// Undoes `shuffle(_, width)`.
pub fn unshuffle(bytes: &[u8], width: usize) -> Vec<u8> {
    let width = width.max(1);
    let whole = bytes.len() - bytes.len() % width;
    let count = whole / width;
    let planes: Vec<&[u8]> = if count == 0 { Vec::new() } else { bytes[..whole].chunks_exact(count).collect() };
    // The widths bundles use, value by value from zipped planes: the compiler vectorizes these
    // (7.3 MB of f16 in under a millisecond natively, against 6-15 ms indexing plane * count + i);
    // one plane (int8 bundles, not shuffled) is a plain copy.
    let mut out: Vec<u8> = match planes.as_slice() {
        [a] => a.to_vec(),
        [a, b] => a.iter().zip(*b).flat_map(|(&a, &b)| [a, b]).collect(),
        [a, b, c, d] => a.iter().zip(*b).zip(c.iter().zip(*d)).flat_map(|((&a, &b), (&c, &d))| [a, b, c, d]).collect(),
        _ => {
            let mut out = vec![0; whole];
            for (plane, values) in planes.iter().enumerate() {
                for (slot, &byte) in out[plane..].iter_mut().step_by(width).zip(*values) {
                    *slot = byte;
                }
            }
            out
        }
    };
    out.extend_from_slice(&bytes[whole..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planes_hold_each_byte_of_every_value_in_turn() {
        // Two little-endian u16 values 0x0201 and 0x0403, then a one-byte tail.
        assert_eq!(shuffle(&[1, 2, 3, 4, 5], 2), [1, 3, 2, 4, 5]);
        assert_eq!(shuffle(&[1, 2, 3, 4, 5, 6, 7, 8], 4), [1, 5, 2, 6, 3, 7, 4, 8]);
        assert_eq!(unshuffle(&[1, 3, 2, 4, 5], 2), [1, 2, 3, 4, 5]);
    }

    #[test]
    fn any_length_and_width_round_trips() {
        for len in [0, 1, 2, 3, 7, 8, 9, 1000, 1001, 1003] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 % 253) as u8).collect();
            for width in [1, 2, 3, 4] {
                let stored = shuffle(&bytes, width);
                assert_eq!(stored.len(), len);
                assert_eq!(unshuffle(&stored, width), bytes, "{len} bytes, width {width}");
            }
        }
    }

    #[test]
    fn width_one_is_the_identity() {
        let bytes = [9, 8, 7];
        assert_eq!(shuffle(&bytes, 1), bytes);
        assert_eq!(unshuffle(&bytes, 1), bytes);
    }
}
