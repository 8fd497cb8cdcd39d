// Progressive enhancement only: every page works without this file.
import { initAll } from '../govuk/govuk-frontend.min.js'

initAll()

// Session timeout warning (WCAG 2.2.1): warn before signing the user out, and let them stay.
const timeout = document.getElementById('nrm-timeout')
if (timeout) {
  const total = Number(timeout.dataset.timeoutSeconds) * 1000
  const warning = Number(timeout.dataset.warningSeconds) * 1000
  let warnTimer
  let logoutTimer
  const dialog = document.createElement('dialog')
  dialog.className = 'nrm-timeout-dialog'
  dialog.setAttribute('aria-labelledby', 'nrm-timeout-heading')
  dialog.innerHTML = '<h2 class="govuk-heading-m" id="nrm-timeout-heading">You will be signed out soon</h2>' +
    '<p class="govuk-body">To protect the information you have entered, we will sign you out in 2 minutes. ' +
    'Your answers have been saved.</p>' +
    '<button type="button" class="govuk-button" data-module="govuk-button">Stay signed in</button>'
  document.body.appendChild(dialog)
  // Signing out is a POST with the page's CSRF token: a GET never signs anyone out.
  const signOut = () => {
    const form = document.createElement('form')
    form.method = 'post'
    form.action = timeout.dataset.logoutUrl
    const token = document.createElement('input')
    token.type = 'hidden'
    token.name = 'csrfmiddlewaretoken'
    token.value = timeout.dataset.csrfToken
    form.appendChild(token)
    document.body.appendChild(form)
    form.submit()
  }
  const schedule = () => {
    clearTimeout(warnTimer)
    clearTimeout(logoutTimer)
    warnTimer = setTimeout(() => dialog.showModal(), Math.max(total - warning, 0))
    logoutTimer = setTimeout(signOut, total)
  }
  dialog.querySelector('button').addEventListener('click', async () => {
    await fetch(timeout.dataset.keepaliveUrl, { credentials: 'same-origin' })
    dialog.close()
    schedule()
  })
  schedule()
}
