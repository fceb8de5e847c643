"""Google Sheets v4: spreadsheets and their values in A1 notation (see README.md here)."""
