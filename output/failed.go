package output

import "fmt"

// FailedComment is the sticky comment of a review that failed with exit
// code (2 usage or configuration, 3 internal) on head: nothing passes,
// and an earlier verdict no longer stands. Its text is fixed, never the
// error's, which the job log shows: nothing from the pull request reaches
// the comment.
func FailedComment(head string, code int) string {
	return fmt.Sprintf("%s\n## ⚠️ nhigate: the last run failed\n\n"+
		"The review of %s failed with %s (exit %d), so nothing passes: "+
		"nhigate's commit status is `error`, and an earlier verdict on this pull request no longer stands. "+
		"The job log says why; fix that, or run the job again.\n",
		Marker, shortSHA(head), FailureKind(code), code)
}

// FailureKind names what an exit code of 2 or more means.
func FailureKind(code int) string {
	if code == 2 {
		return "a usage or configuration error"
	}
	return "an internal error"
}
