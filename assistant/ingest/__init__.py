"""Reading files: loaders per format, cleaning, upload checks."""
