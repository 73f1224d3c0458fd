//! IP addresses as certificates carry them (4 or 16 octets) and iPAddress subtrees.

use std::net::IpAddr;

/// The octets of `ip` as an iPAddress SAN carries them.
pub fn octets(ip: &IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

/// Whether IP SAN `ip` (4 or 16 octets) lies in the iPAddress constraint `constraint` (address
/// then mask: 8 or 32 octets). None if the constraint is malformed (wrong length, or a mask
/// that is not ones then zeros). An IPv4 address is never inside an IPv6 constraint, nor the
/// reverse.
pub fn in_subtree(ip: &[u8], constraint: &[u8]) -> Option<bool> {
    if constraint.len() != 8 && constraint.len() != 32 {
        return None;
    }
    let (addr, mask) = constraint.split_at(constraint.len() / 2);
    let bits = mask.iter().fold(0u32, |n, m| n + m.count_ones());
    let ones = (bits / 8) as usize;
    let contiguous = mask.iter().enumerate().all(|(i, &m)| match i.cmp(&ones) {
        std::cmp::Ordering::Less => m == 0xff,
        std::cmp::Ordering::Equal => m == 0xffu8.checked_shl(8 - bits % 8).unwrap_or(0),
        std::cmp::Ordering::Greater => m == 0,
    });
    if !contiguous {
        return None;
    }
    if ip.len() != addr.len() {
        return Some(false);
    }
    Some(
        ip.iter()
            .zip(addr)
            .zip(mask)
            .all(|((i, a), m)| i & m == a & m),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtrees() {
        let net = [192, 0, 2, 0, 255, 255, 255, 0];
        assert_eq!(in_subtree(&[192, 0, 2, 7], &net), Some(true));
        assert_eq!(in_subtree(&[192, 0, 3, 7], &net), Some(false));
        assert_eq!(
            in_subtree(&[192, 0, 2, 7], &[192, 0, 2, 0, 255, 0, 255, 0]),
            None
        );
        assert_eq!(
            in_subtree(&[192, 0, 2, 7], &[192, 0, 2, 0, 255, 255, 254, 1]),
            None
        );
        assert_eq!(
            in_subtree(&[10, 1, 2, 3], &[10, 0, 0, 0, 255, 240, 0, 0]),
            Some(true)
        );
        assert_eq!(
            in_subtree(&[10, 16, 2, 3], &[10, 0, 0, 0, 255, 240, 0, 0]),
            Some(false)
        );
        assert_eq!(in_subtree(&[1, 2, 3, 4], &[0; 8]), Some(true));
        assert_eq!(
            in_subtree(&octets(&"::1".parse().unwrap()), &[0; 8]),
            Some(false)
        );
        assert_eq!(in_subtree(&[1, 2, 3, 4], &[0; 7]), None);
    }
}
