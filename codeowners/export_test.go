package codeowners

// OwnersSteps is Owners' count of matching steps, for tests that hold the
// matcher to its bound without timing it.
func (f *File) OwnersSteps(path string) int {
	_, _, steps := f.owners(path)
	return steps
}
