"""synkimeter: measure facial synkinesis through an ordinary webcam."""

__version__ = "0.1.0"
