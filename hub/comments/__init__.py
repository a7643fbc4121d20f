"""Comments between a location and HQ on a proposal."""
