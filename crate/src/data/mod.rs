//! Pictures from files, natively: one photo decoded ([`photo`]), and an ImageFolder tree of them
//! ([`image_folder`]), shared by training and evaluation.

pub mod image_folder;
pub mod photo;
