print("dirtyring")
