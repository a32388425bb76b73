"""jcds2: move package files in and out of the Jamf Cloud Distribution Service."""
