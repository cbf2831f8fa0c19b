print("lbd")
