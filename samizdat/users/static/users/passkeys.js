// Once django-otp-webauthn's script has registered a passkey, go on: to the recovery
// codes if it was the first second factor, else back to where the staff member was.
document.addEventListener("otp_webauthn.register_complete", () => {
  const box = document.getElementById("passkey-registration");
  if (box) window.location.assign(box.dataset.addedUrl);
});
