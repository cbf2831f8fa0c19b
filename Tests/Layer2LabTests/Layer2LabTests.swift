// Layer2LabTests: placeholder until the lab lands.
