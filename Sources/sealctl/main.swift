print("sealctl: not yet")
