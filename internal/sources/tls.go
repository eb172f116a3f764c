package sources

// caBundle returns the PEM CA bundle named by env, or nil (the system pool)
// when the plan names none. A named but empty bundle is returned as an empty,
// non-nil slice, which the stores refuse (InvalidConfig) rather than falling
// back to the system pool unnoticed.
func caBundle(creds Creds, env string) []byte {
	if env == "" {
		return nil
	}
	return []byte(creds(env))
}
