// Referral pages, progressive enhancement only: every page works without this file.
//  - selects marked data-nrm-autocomplete become accessible autocompletes;
//  - textareas marked data-nrm-language-guidance flag wording as the user types;
//  - the copy of a referral gets a print button.

// Autocomplete (accessible-autocomplete is loaded as a classic script before this module).
const autocomplete = window.accessibleAutocomplete
if (autocomplete) {
  document.querySelectorAll('select[data-nrm-autocomplete]').forEach((select) => {
    // No defaultValue: the text box starts with the option already chosen (a saved answer).
    autocomplete.enhanceSelectElement({ selectElement: select, showAllValues: false, minLength: 1, autoselect: true })
  })
}

// Before a form is sent, each hidden select takes the option whose text is in its text box, or
// nothing: clearing the box clears the answer, and half-typed text is not mistaken for the old one.
const syncAutocompletes = (form) => {
  form.querySelectorAll('select[data-nrm-autocomplete]').forEach((select) => {
    const input = document.getElementById(select.id.replace(/-select$/, ''))
    if (!input || input === select) return
    const text = input.value.trim()
    const match = Array.from(select.options).find((o) => o.value && o.textContent.trim() === text)
    select.value = match ? match.value : ''
  })
}
document.querySelectorAll('form').forEach((form) => form.addEventListener('submit', () => syncAutocompletes(form)))

// Drafts save themselves as the user types, and when the page is closed, so nothing typed is
// lost even without pressing a button. (Without JavaScript, every button saves.)
document.querySelectorAll('form[data-nrm-draft-form]').forEach((form) => {
  let timer
  let dirty = false
  // Not form.action: the form's buttons are named "action", which shadows the property.
  const target = form.getAttribute('action') || window.location.href
  const body = () => {
    syncAutocompletes(form)
    const data = new FormData(form)
    for (const [name, value] of Array.from(data.entries())) {
      if (value instanceof File) data.delete(name)
    }
    data.set('action', 'autosave')
    return data
  }
  const save = () => {
    if (!dirty) return
    dirty = false
    fetch(target, { method: 'POST', body: body(), credentials: 'same-origin' })
      .catch(() => { dirty = true })
  }
  const changed = () => {
    dirty = true
    clearTimeout(timer)
    timer = setTimeout(save, 1500)
  }
  form.addEventListener('input', changed)
  form.addEventListener('change', changed)
  form.addEventListener('submit', () => { dirty = false; clearTimeout(timer) })
  window.addEventListener('pagehide', () => {
    if (dirty && navigator.sendBeacon) {
      navigator.sendBeacon(target, body())
      dirty = false
    }
  })
})

// Language guidance as the user types. The word list comes from the server (the same
// patterns it uses after saving), in a JSON script element.
const termsElement = document.getElementById('language-guidance-terms')
if (termsElement) {
  const terms = JSON.parse(termsElement.textContent).map((t) => ({ ...t, regex: new RegExp(t.pattern, 'i') }))
  document.querySelectorAll('textarea[data-nrm-language-guidance]').forEach((textarea) => {
    const target = document.getElementById(textarea.dataset.nrmLanguageGuidance)
    const shownInput = document.getElementById('guidance-shown')
    if (!target) return
    let timer
    let lastKey = null
    const render = () => {
      const found = []
      for (const term of terms) {
        const match = textarea.value.match(term.regex)
        if (match) found.push({ term: term.term, found: match[0], reason: term.reason, instead: term.instead })
      }
      const key = found.map((f) => f.term).join(';')
      if (key === lastKey) return
      lastKey = key
      if (shownInput) shownInput.value = key
      target.replaceChildren()
      if (!found.length) return
      const box = document.createElement('div')
      box.className = 'nrm-flag'
      const heading = document.createElement('h2')
      heading.className = 'govuk-heading-s'
      heading.textContent = 'Check the wording'
      const intro = document.createElement('p')
      intro.className = 'govuk-body'
      intro.textContent = 'Some words can suggest that the person chose what happened to them. ' +
        'Consider describing the facts instead. This is advice: you can continue without changing anything.'
      const list = document.createElement('dl')
      list.className = 'nrm-flag__list'
      for (const flag of found) {
        const dt = document.createElement('dt')
        dt.className = 'govuk-body govuk-!-font-weight-bold govuk-!-margin-bottom-1'
        dt.textContent = '“' + flag.found + '”'
        const dd = document.createElement('dd')
        dd.className = 'govuk-body govuk-!-margin-left-0'
        dd.append(flag.reason, document.createElement('br'), 'Instead: ' + flag.instead)
        list.append(dt, dd)
      }
      box.append(heading, intro, list)
      target.append(box)
    }
    // Flags already on the page (after saving) count as shown.
    lastKey = shownInput ? shownInput.value : null
    textarea.addEventListener('input', () => {
      clearTimeout(timer)
      timer = setTimeout(render, 400)
    })
  })
}

// Print button on the copy of a referral.
document.querySelectorAll('[data-nrm-print]').forEach((button) => {
  button.hidden = false
  button.addEventListener('click', () => window.print())
})
