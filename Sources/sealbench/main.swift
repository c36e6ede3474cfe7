print("sealbench: not yet")
