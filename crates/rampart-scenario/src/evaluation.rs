//! The evaluation world.

use crate::World;

pub fn build(seed: u64) -> World {
    crate::story::build(seed)
}
