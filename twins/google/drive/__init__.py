"""Google Drive v3: files, uploads, downloads and permissions (see README.md here)."""
