print("wallet: not built yet")
