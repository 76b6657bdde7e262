// Progressive enhancement for the London Health Devolution Portal. Every page works without it.
//
// base.html loads this file as a module from 'self' (the policy allows no other scripts but one by hash):
//
//   <script type="module" src="{% static 'js/portal.mjs' %}"
//           data-govuk-frontend="{% static 'dist/govuk-frontend.min.js' %}"></script>
//
// GOV.UK Frontend's address comes from that data attribute, which Django's {% static %} has already
// resolved to the hashed file name (ManifestStaticFilesStorage). So this file needs no import that
// the storage would have to rewrite, and no inline script is needed. Without the attribute (the file
// loaded some other way), it falls back to the bundle's unhashed name next to this file's folder.

const script = document.querySelector("script[data-govuk-frontend]");
const govukFrontendUrl =
  (script && script.dataset.govukFrontend) || new URL("../dist/govuk-frontend.min.js", import.meta.url).href;

// The inline snippet in base.html adds this class only where ES modules are supported; GOV.UK
// Frontend's components check it as well.
if (document.body.classList.contains("govuk-frontend-supported")) {
  import(govukFrontendUrl)
    .then(({ initAll }) => {
      initAll();
    })
    .catch((error) => {
      // The page stays fully usable without the enhancements; say why in the console only.
      console.error("GOV.UK Frontend could not be loaded", error);
    });
}
