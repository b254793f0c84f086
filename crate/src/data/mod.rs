//! Pictures from files, natively: one photo decoded ([`photo`]), an ImageFolder tree of them
//! ([`image_folder`]), shared by training and evaluation, and a zip of such a tree ([`zipped`]).

pub mod image_folder;
pub mod photo;
pub mod zipped;
